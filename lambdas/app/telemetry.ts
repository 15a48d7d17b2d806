import type { AppLogger } from './deps';

/** Logs and metrics for a handler invocation: Powertools in Lambda, an in-memory recorder in drills. */
export interface Telemetry extends AppLogger {
  /** One metric data point; `dimensions` beyond the service's defaults (e.g. QueueId, Tier). */
  metric(
    name: string,
    unit: 'Count' | 'Milliseconds',
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void;
  /**
   * A per-invocation value logged with the metrics (an EMF property, searchable in Logs Insights) but
   * never a dimension: per-queue values go here, so the metric count does not grow with queues.
   */
  property(key: string, value: string | number | boolean | null): void;
  /** Flushes buffered metrics (EMF) at the end of an invocation. */
  flush(): void;
}

export interface RecordedMetric {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Keeps everything in memory: the drill reports from it, tests assert on it. */
export class RecordingTelemetry implements Telemetry {
  readonly metrics: RecordedMetric[] = [];
  readonly logs: { level: 'info' | 'warn' | 'error'; message: string; extra?: Record<string, unknown> }[] =
    [];
  info(message: string, extra?: Record<string, unknown>): void {
    this.logs.push({ level: 'info', message, ...(extra ? { extra } : {}) });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.logs.push({ level: 'error', message, ...(extra ? { extra } : {}) });
  }
  readonly properties: Record<string, string | number | boolean | null>[] = [{}];
  metric(name: string, unit: string, value: number, dimensions: Readonly<Record<string, string>> = {}): void {
    this.metrics.push({ name, unit, value, dimensions });
  }
  property(key: string, value: string | number | boolean | null): void {
    (this.properties.at(-1) as Record<string, string | number | boolean | null>)[key] = value;
  }
  /** Each flush closes one invocation's properties (as one EMF blob would). */
  flush(): void {
    if (Object.keys(this.properties.at(-1) ?? {}).length > 0) this.properties.push({});
  }
}
