import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.BOWL_TEST_PG_ADMIN_URL;
  const template = process.env.BOWL_TEST_TEMPLATE_DB;
  if (adminUrl && template) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.__BOWL_TEST_SERVICES__?.stop?.();
}
