import { loadEnvironment } from '@app/common';
import { runMigrations } from '@app/database';

/**
 * `npm run db:migrate`: applies prisma/migrations to DATABASE_URL; safe to run again. It reads
 * DATABASE_URL and nothing else, so it neither needs nor checks the gateway's other settings
 * (JWT_SECRET included, even under NODE_ENV=production).
 */
async function main(): Promise<void> {
  const { DATABASE_URL } = loadEnvironment({ DATABASE_URL: process.env.DATABASE_URL });
  if (!DATABASE_URL)
    throw new Error('DATABASE_URL is required (postgresql://user:pass@host:5432/db)');
  const { applied, skipped } = await runMigrations(DATABASE_URL);
  for (const name of applied) console.log(`applied ${name}`);
  console.log(`${applied.length} migration(s) applied, ${skipped} already up to date`);
}

main().catch((err: Error) => {
  console.error(`db:migrate: ${err.message}`);
  process.exit(1);
});
