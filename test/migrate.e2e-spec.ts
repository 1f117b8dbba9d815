import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const MIGRATE = join(__dirname, '../dist/apps/gateway/apps/gateway/src/migrate.js');
const MIGRATIONS = readdirSync(join(__dirname, '../prisma/migrations'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: process.env.BOWL_TEST_PG_ADMIN_URL });
  await client.connect();
  await client.query(sql);
  await client.end();
}

function migrate(databaseUrl: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MIGRATE], {
    env: { PATH: process.env.PATH ?? '', ...env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('npm run db:migrate (the built runner)', () => {
  const name = `bowl_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(process.env.BOWL_TEST_PG_ADMIN_URL!);
  url.pathname = `/${name}`;

  beforeAll(() => admin(`CREATE DATABASE "${name}"`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

  it('applies every committed migration to an empty database, then nothing the second time', async () => {
    const first = migrate(url.toString());
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(
      `${MIGRATIONS.length} migration(s) applied, 0 already up to date`,
    );
    const second = migrate(url.toString());
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(
      `0 migration(s) applied, ${MIGRATIONS.length} already up to date`,
    );

    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    const { rows } = await client.query(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    const tables = await client.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'users'",
    );
    await client.end();
    expect(rows.map((r) => r.migration_name)).toEqual(MIGRATIONS);
    expect(tables.rows[0].n).toBe(1);
  });

  it('needs nothing but DATABASE_URL, in production too, and ignores the gateway settings', () => {
    // No JWT_SECRET, and a setting only the gateway reads that would stop the gateway.
    const run = migrate(url.toString(), { NODE_ENV: 'production', RATE_LIMIT_MESSAGES: 'lots' });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain(`0 migration(s) applied, ${MIGRATIONS.length} already up to date`);
  });

  it('refuses a DATABASE_URL that is not a PostgreSQL URL, naming it', () => {
    const run = migrate('mysql://db/bowl');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL must be a postgresql:// URL');
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(
      "UPDATE _prisma_migrations SET checksum = 'tampered' WHERE migration_name = $1",
      [MIGRATIONS[0]],
    );
    await client.end();
    const run = migrate(url.toString());
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`migration ${MIGRATIONS[0]} was modified after it was applied`);
  });

  it('says what is missing without DATABASE_URL', () => {
    const run = spawnSync(process.execPath, [MIGRATE], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL is required');
  });
});
