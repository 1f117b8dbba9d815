import { Controller, Get, Inject, Logger, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { PrismaService, REDIS, RedisClient } from '@app/database';
import { Shutdown } from './shutdown';

const CHECK_TIMEOUT_MS = 1500;

@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly shutdown: Shutdown,
    @Optional() @Inject(REDIS) private readonly redis: RedisClient | null,
  ) {}

  /**
   * The process is up and serving, also while it shuts down (it answers until it exits), which is
   * why this does not go through terminus: that answers 503 once Nest's shutdown hooks have run.
   */
  @Get('live')
  live() {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  /**
   * Every dependency answers: PostgreSQL, and Redis when the fleet uses it. 503 otherwise, naming
   * the one that is down but not its error (which can hold host and user names): that is logged.
   * 503 `shutdown` from the moment a shutdown begins, so load balancers send no one new.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    if (!this.shutdown.ready) {
      return this.health.check([() => this.indicators.check('shutdown').down()]);
    }
    const checks = [() => this.probe('database', () => this.prisma.$queryRaw`SELECT 1`)];
    const redis = this.redis;
    if (redis) checks.push(() => this.probe('redis', () => redis.ping()));
    return this.health.check(checks);
  }

  private async probe(key: string, ping: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(ping(), CHECK_TIMEOUT_MS);
      return indicator.up();
    } catch (err) {
      this.logger.warn(`readiness: ${key} is down: ${(err as Error).message}`);
      return indicator.down();
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
