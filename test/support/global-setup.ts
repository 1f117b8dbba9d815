import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runMigrations } from '../../libs/database/src/migrate';
import { resolveTestServices, TestServices } from './services';

declare global {
  var __BOWL_TEST_SERVICES__: TestServices | undefined;
}

/**
 * Once per run: find the services, migrate one template database; every test file then clones
 * it in a fraction of a second (see database.ts). Settings reach the workers through process.env.
 */
export default async function globalSetup(): Promise<void> {
  const services = await resolveTestServices();
  globalThis.__BOWL_TEST_SERVICES__ = services;
  const template = `bowl_tpl_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: services.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(services.postgresAdminUrl);
  url.pathname = `/${template}`;
  await runMigrations(url.toString());
  process.env.BOWL_TEST_PG_ADMIN_URL = services.postgresAdminUrl;
  process.env.BOWL_TEST_REDIS_URL = services.redisUrl;
  process.env.BOWL_TEST_TEMPLATE_DB = template;
}
