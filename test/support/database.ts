import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.BOWL_TEST_PG_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of its own (`bowl_test_<random>`), cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.BOWL_TEST_TEMPLATE_DB;
  if (!template) throw new Error('run the tests through jest (test/support/global-setup.ts)');
  const name = `bowl_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = new URL(process.env.BOWL_TEST_PG_ADMIN_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A Redis key prefix of its own, so concurrent test files never see each other's keys. */
export function testRedisPrefix(): string {
  return `bowltest:${randomBytes(4).toString('hex')}:`;
}
