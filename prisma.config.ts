import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The Prisma CLI (generate, migrate status/diff/dev) runs offline with the WebAssembly schema
// engine through a driver adapter. `npm run db:migrate` uses our own runner (libs/database).
const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/bowl';
process.env.DATABASE_URL ??= url;

// prisma/orm#27403: the wasm engine reads pg_catalog columns of type `name`, which adapter-pg
// refuses to decode; report every unusual low-oid type as text.
const KNOWN_OIDS = new Set([
  16, 17, 20, 21, 23, 25, 26, 114, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1266, 1560, 1562,
  1700, 790, 2950, 3802, 869, 650, 142,
]);
type Queryable = { performIO: (q: unknown) => Promise<{ fields?: { dataTypeID: number }[] }> };
function patch<T extends object>(adapter: T): T {
  const queryable = adapter as unknown as Queryable;
  const performIO = queryable.performIO.bind(queryable);
  queryable.performIO = async (q: unknown) => {
    const result = await performIO(q);
    for (const field of result.fields ?? []) {
      if (field.dataTypeID < 1000 && !KNOWN_OIDS.has(field.dataTypeID)) field.dataTypeID = 25;
    }
    return result;
  };
  return adapter;
}
class PatchedPg extends PrismaPg {
  async connect() {
    return patch(await super.connect());
  }
  async connectToShadowDb() {
    return patch(await super.connectToShadowDb());
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const u = new URL(url); // discrete fields: a connectionString would override the shadow DB name
    return new PatchedPg({
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password) || undefined,
      database: u.pathname.slice(1),
      idleTimeoutMillis: 100,
    });
  },
});
