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
  metric(name: string, unit: string, value: number, dimensions: Readonly<Record<string, string>> = {}): void {
    this.metrics.push({ name, unit, value, dimensions });
  }
  flush(): void {}
}
