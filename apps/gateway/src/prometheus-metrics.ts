import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CounterName, HistogramName, METRICS, Metrics } from '@app/common';
import { dependencyErrors } from '@app/database';

/** Latency buckets (seconds): 1 ms to 10 s. */
const SECONDS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/** The Metrics port over prom-client, one registry per application (tests run several). */
@Injectable()
export class PrometheusMetrics extends Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();

  constructor() {
    super();
    collectDefaultMetrics({ register: this.registry });
    for (const [name, spec] of Object.entries(METRICS)) {
      const common = {
        name,
        help: spec.help,
        labelNames: [...spec.labels],
        registers: [this.registry],
      };
      if (spec.kind === 'counter') this.counters.set(name, new Counter(common));
      else {
        const buckets = name === 'bowl_store_batch_messages' ? BATCH_SIZES : SECONDS;
        this.histograms.set(name, new Histogram({ ...common, buckets }));
      }
    }
    const counted = { ...dependencyErrors };
    new Counter({
      name: 'bowl_dependency_errors_total',
      help: 'Errors talking to PostgreSQL or Redis (counted where the connections live)',
      labelNames: ['dependency'],
      registers: [this.registry],
      collect() {
        for (const [dependency, n] of Object.entries(dependencyErrors)) {
          const key = dependency as keyof typeof dependencyErrors;
          this.inc({ dependency }, n - counted[key]);
          counted[key] = n;
        }
      },
    });
  }

  increment(name: CounterName, labels?: Record<string, string>): void {
    if (labels) this.counters.get(name)!.inc(labels);
    else this.counters.get(name)!.inc();
  }

  observe(name: HistogramName, value: number, labels?: Record<string, string>): void {
    if (labels) this.histograms.get(name)!.observe(labels, value);
    else this.histograms.get(name)!.observe(value);
  }

  /** A gauge read at each scrape. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }
}
