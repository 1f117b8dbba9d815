import { Socket } from 'node:net';

/** Where the tests find PostgreSQL (an admin URL that may CREATE DATABASE) and Redis. */
export interface TestServices {
  postgresAdminUrl: string;
  redisUrl: string;
  stop?: () => Promise<void>;
}

const LOCAL_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * DATABASE_URL / REDIS_URL from the environment if set; else the local servers on 5432 and 6379
 * if they answer; else containers (testcontainers) if a container runtime exists; else one clear
 * line saying what to set. BOWL_TEST_SERVICES=containers goes straight to containers.
 */
export async function resolveTestServices(): Promise<TestServices> {
  if (process.env.BOWL_TEST_SERVICES === 'containers') return startContainers();
  let postgres = process.env.DATABASE_URL;
  let redis = process.env.REDIS_URL;
  if (!postgres && (await answers('127.0.0.1', 5432))) postgres = LOCAL_POSTGRES;
  if (!redis && (await answers('127.0.0.1', 6379))) redis = LOCAL_REDIS;
  if (postgres && redis) return { postgresAdminUrl: postgres, redisUrl: redis };
  return startContainers(postgres, redis);
}

/**
 * PostgreSQL and Redis in containers, from BOWL_TEST_POSTGRES_IMAGE and BOWL_TEST_REDIS_IMAGE
 * (default: the official images; deploy/images.sh builds local stand-ins where none can be pulled).
 */
async function startContainers(postgres?: string, redis?: string): Promise<TestServices> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const started: { stop(): Promise<unknown> }[] = [];
  try {
    if (!postgres) {
      const pg = await new GenericContainer(
        process.env.BOWL_TEST_POSTGRES_IMAGE ?? 'postgres:16-alpine',
      )
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        // Over TCP: the official image's first start also runs a socket-only server to initialise.
        .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
        .start();
      started.push(pg);
      postgres = `postgresql://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`;
    }
    if (!redis) {
      const rd = await new GenericContainer(process.env.BOWL_TEST_REDIS_IMAGE ?? 'redis:7-alpine')
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .start();
      started.push(rd);
      redis = `redis://${rd.getHost()}:${rd.getMappedPort(6379)}`;
    }
  } catch (err) {
    await Promise.all(started.map((c) => c.stop()));
    throw new Error(
      'tests need PostgreSQL and Redis: set DATABASE_URL (a user that may CREATE DATABASE) and REDIS_URL, ' +
        'run them on 127.0.0.1:5432 and :6379, or provide a container runtime for testcontainers ' +
        `(${(err as Error).message.split('\n')[0]})`,
    );
  }
  return {
    postgresAdminUrl: postgres,
    redisUrl: redis,
    stop: async () => void (await Promise.all(started.map((c) => c.stop()))),
  };
}
