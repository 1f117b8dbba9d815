import {
  Controller,
  Get,
  Header,
  Headers,
  Inject,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PumpHub, RetentionService } from '@app/delivery';
import { PrometheusMetrics } from './prometheus-metrics';
import { SocketNotifier } from './socket-notifier';

/**
 * Prometheus scrape endpoint. Off unless METRICS_TOKEN is set; then it wants
 * `Authorization: Bearer <METRICS_TOKEN>`, so figures never leak to clients of the chat port.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: PrometheusMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    notifier: SocketNotifier,
    hub: PumpHub,
    retention: RetentionService,
  ) {
    // Read at each scrape.
    metrics.gauge('bowl_connected_sockets', 'Sockets connected to this instance', () =>
      notifier.connectedSockets(),
    );
    metrics.gauge('bowl_connected_users', 'Users with a socket on this instance', () => hub.users);
    metrics.gauge(
      'bowl_queued_messages',
      'Messages waiting in all queues, not acknowledged yet (fleet-wide)',
      () => retention.backlog(),
    );
  }

  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const token = this.config.METRICS_TOKEN;
    if (!token) throw new NotFoundException('Cannot GET /metrics');
    const given = Buffer.from(authorization ?? '');
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedException('metrics need the bearer token');
    }
    return this.metrics.registry.metrics();
  }
}
