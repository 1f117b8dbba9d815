import { INestApplication, Logger } from '@nestjs/common';
import { join, resolve } from 'node:path';
import {
  AppConfig,
  ConfigError,
  Environment,
  guard,
  installProcessBackstop,
  loadEnvironment,
} from '@app/common';
import {
  EmbeddedDatabase,
  readOrCreateSecret,
  runMigrations,
  startEmbeddedPostgres,
} from '@app/database';
import { ConnectionGateway } from './connection.gateway';
import { createApp } from './create-app';
import { createLogger, nestLogger } from './logging';
import { Shutdown } from './shutdown';

const logger = new Logger('Bowl');

async function main(): Promise<void> {
  let env: Environment;
  try {
    env = loadEnvironment(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger('log').error(`bowl: ${err.message}`);
    process.exit(1);
  }
  const root = createLogger(env.LOG_LEVEL);
  // From here on every Nest Logger call, Nest's own included, is a JSON line of this logger.
  Logger.overrideLogger(nestLogger(root));
  const home = resolve(env.BOWL_HOME);
  const defaults: string[] = [];

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(home);
    databaseUrl = embedded.url;
    const { applied } = await runMigrations(databaseUrl);
    defaults.push(
      `DATABASE_URL unset: embedded PostgreSQL in ${join(home, 'pg')} (${applied.length} migration(s) applied)`,
    );
  }
  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret) {
    jwtSecret = readOrCreateSecret(join(home, 'jwt-secret'), 48);
    defaults.push(`JWT_SECRET unset: using the secret generated in ${join(home, 'jwt-secret')}`);
  }
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES)
    defaults.push(
      'REDIS_URL and REDIS_CLUSTER_NODES unset: single instance (in-memory fan-out and presence)',
    );

  const config: AppConfig = { ...env, DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret };
  const app = await createApp(config, root);
  await app.listen(config.PORT);
  const { port } = app.getHttpServer().address() as { port: number };

  // From here on, nothing a client sends may end the process (docs/security.md).
  installProcessBackstop();
  for (const line of defaults) logger.log(line);
  logger.log(`Bowl is listening on http://localhost:${port} (socket.io and HTTP)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const code = await drain(app, config, signal);
    await embedded?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.once(
    'SIGINT',
    guard('the SIGINT handler', () => stop('SIGINT')),
  );
  process.once(
    'SIGTERM',
    guard('the SIGTERM handler', () => stop('SIGTERM')),
  );
}

/**
 * The shutdown, within SHUTDOWN_GRACE_MS of the signal: readiness 503 at once, DRAIN_DELAY_MS for
 * load balancers to notice, then app.close() (ConnectionGateway's drain, then HTTP, PostgreSQL,
 * Redis). The exit code: 0 when it all finished in time; 1 otherwise, after saying what was left.
 */
async function drain(app: INestApplication, config: AppConfig, signal: string): Promise<number> {
  const started = Date.now();
  const shutdown = app.get(Shutdown);
  shutdown.begin();
  logger.log(
    `${signal}: shutting down within ${config.SHUTDOWN_GRACE_MS} ms` +
      ` (readiness 503 for ${config.DRAIN_DELAY_MS} ms first)`,
  );
  let deadline: NodeJS.Timeout | undefined;
  const graceOver = new Promise<number>((done) => {
    deadline = setTimeout(() => {
      const left = app.get(ConnectionGateway).leftToDrain();
      logger.error(
        `shutdown grace of ${config.SHUTDOWN_GRACE_MS} ms ran out while ${shutdown.step}: ${left}`,
      );
      done(1);
    }, config.SHUTDOWN_GRACE_MS);
  });
  const closed = (async () => {
    await new Promise((wait) => setTimeout(wait, config.DRAIN_DELAY_MS));
    try {
      await app.close();
      logger.log(`shut down in ${Date.now() - started} ms`);
      return 0;
    } catch (err) {
      logger.error(`unclean shutdown: ${(err as Error).message}`, (err as Error).stack);
      return 1;
    }
  })();
  const code = await Promise.race([closed, graceOver]);
  clearTimeout(deadline);
  return code;
}

main().catch((err: Error) => {
  logger.error(`bowl: failed to start: ${err.message}`, err.stack);
  process.exit(1);
});
