import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { guard } from '@app/common';
import { PrismaClient } from './generated/prisma/client';
import { dependencyErrors } from './redis';

export const DATABASE_URL = Symbol('DATABASE_URL');

@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  /**
   * The connections Prisma uses, for the few statements on the per-message path (store, deliver,
   * acknowledge): Prisma 6's client engine compiles every query on every call, which the bench
   * measured as the largest CPU cost per message.
   */
  readonly pool: Pool;

  constructor(@Inject(DATABASE_URL) url: string) {
    const pool = new Pool({ connectionString: url, max: 10 });
    // An idle connection dropped by the server (restart, network cut) must not crash the process.
    pool.on(
      'error',
      guard('the PostgreSQL pool error listener', (err: Error) => {
        dependencyErrors.database++;
        new Logger('PostgreSQL').warn(`idle connection lost: ${err.message}`);
      }),
    );
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
