import { Logger } from '@nestjs/common';
import { join, resolve } from 'node:path';
import {
  AppConfig,
  ConfigError,
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
import { createApp } from './create-app';

async function main(): Promise<void> {
  let env;
  try {
    env = loadEnvironment(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`bowl: ${err.message}`);
    process.exit(1);
  }
  const logger = new Logger('Bowl');
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
  const app = await createApp(config);
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
    logger.log(`${signal}: shutting down`);
    let code = 0;
    try {
      await app.close();
    } catch (err) {
      logger.error(`unclean shutdown: ${(err as Error).message}`);
      code = 1;
    }
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

main().catch((err: Error) => {
  console.error(`bowl: failed to start: ${err.message}`);
  process.exit(1);
});
