import { monitorEventLoopDelay } from 'node:perf_hooks';

/** A tiny Prometheus registry: counters, gauges and histograms, rendered as text format 0.0.4. */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();
  private readonly histograms = new Map<string, { help: string; bounds: number[]; counts: number[]; sum: number; count: number }>();

  /** A histogram without labels; `bounds` are the upper bounds of its buckets, ascending. */
  histogram(name: string, help: string, bounds: number[]): (value: number) => void {
    const entry = { help, bounds, counts: bounds.map(() => 0), sum: 0, count: 0 };
    this.histograms.set(name, entry);
    return (value) => {
      entry.sum += value;
      entry.count++;
      for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]) entry.counts[i]++;
    };
  }

  counter(name: string, help: string): (labels?: Record<string, string>, by?: number) => void {
    const entry = { help, values: new Map<string, number>() };
    this.counters.set(name, entry);
    return (labels = {}, by = 1) => {
      const key = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      entry.values.set(key, (entry.values.get(key) ?? 0) + by);
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (values.size === 0) lines.push(`${name} 0`);
      for (const [labels, value] of values) lines.push(labels ? `${name}{${labels}} ${value}` : `${name} ${value}`);
    }
    for (const [name, { help, read }] of this.gauges) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`);
    }
    for (const [name, { help, bounds, counts, sum, count }] of this.histograms) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      bounds.forEach((bound, i) => lines.push(`${name}_bucket{le="${bound}"} ${counts[i]}`));
      lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${sum}`, `${name}_count ${count}`);
    }
    return lines.join('\n') + '\n';
  }
}

export interface TesseraMetrics {
  registry: Metrics;
  logins: (labels: { result: 'success' | 'failure'; method: 'password' | 'api_key' }) => void;
  refreshes: (labels: { result: 'success' | 'failure' }) => void;
  terminations: (labels: { reason: string }) => void;
  eventsDelivered: (labels: { transport: string }) => void;
  graphqlRequests: (labels: { handler: 'fast-path' | 'yoga' }) => void;
  /** Session events this instance recorded (committed), by type. */
  eventsRecorded: (labels: { type: string }) => void;
  /** Reads of the event record by the catch-up loop (docs/events.md), and what they found. */
  catchUpReads: (labels: { outcome: 'ok' | 'failed' }) => void;
  catchUpEvents: (labels?: Record<string, string>, by?: number) => void;
  /** Seconds from an event's commit to its write to a subscriber's socket. */
  deliveryLag: (seconds: number) => void;
  /** Webhook and back-channel logout attempts (src/delivery/deliveries.ts). */
  deliveries: (labels: { target: 'webhook' | 'backchannel'; outcome: 'succeeded' | 'retry' | 'failed' }) => void;
  attemptSeconds: (seconds: number) => void;
  /** Read by the gauges; set by this instance's delivery worker at each poll. */
  queue: { depth: number; oldestSeconds: number };
}

export function createMetrics(): TesseraMetrics {
  const registry = new Metrics();
  // Event-loop delay since the previous scrape: the first thing to degrade when CPU work (hashing,
  // signing) leaks onto the loop.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  registry.gauge('tessera_event_loop_delay_p99_seconds', 'p99 event-loop delay since the previous scrape', () => {
    const p99 = loopDelay.percentile(99) / 1e9;
    loopDelay.reset();
    return Number.isFinite(p99) ? p99 : 0;
  });
  registry.gauge('tessera_resident_memory_bytes', 'Resident set size of the process', () => process.memoryUsage().rss);
  const queue = { depth: 0, oldestSeconds: 0 };
  registry.gauge('tessera_delivery_queue_depth', 'Webhook and back-channel logout deliveries waiting (PENDING), as of the last poll', () => queue.depth);
  registry.gauge('tessera_delivery_oldest_pending_seconds', 'Age of the oldest PENDING delivery, as of the last poll', () => queue.oldestSeconds);
  return {
    queue,
    deliveries: registry.counter('tessera_deliveries_total', 'Webhook and back-channel logout attempts by target kind and outcome (succeeded, retry, failed)'),
    attemptSeconds: registry.histogram(
      'tessera_delivery_attempt_seconds',
      'Duration of one webhook or back-channel logout attempt',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    registry,
    logins: registry.counter('tessera_logins_total', 'Login attempts by result and method'),
    refreshes: registry.counter('tessera_refreshes_total', 'Refresh attempts by result'),
    terminations: registry.counter('tessera_session_terminations_total', 'Sessions ended, by reason'),
    eventsDelivered: registry.counter('tessera_subscription_events_delivered_total', 'Events sent to subscribers'),
    eventsRecorded: registry.counter('tessera_session_events_recorded_total', 'Session events recorded by this instance, by type'),
    catchUpReads: registry.counter('tessera_event_catchup_reads_total', 'Reads of the durable event record by the catch-up loop, by outcome'),
    catchUpEvents: registry.counter('tessera_event_catchup_events_total', 'Events the catch-up loop read from the record'),
    deliveryLag: registry.histogram(
      'tessera_event_delivery_lag_seconds',
      'From the commit of a session event to its write to a subscriber',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    graphqlRequests: registry.counter(
      'tessera_graphql_http_requests_total',
      'GraphQL requests over HTTP, by the handler that answered (see server/graphql-fast-path.ts)',
    ),
  };
}
