import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../app/telemetry';
import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry-names';

/**
 * Powertools Logger (structured JSON) and Metrics (EMF) behind the Telemetry port. Both are constructed
 * on first use, in the first invocation, not when the handler module loads: constructing them reads the
 * environment and sets up formatters and buffers, a cold-start cost a module load need not pay
 * (docs/architecture.md#cold-start).
 */
export class PowertoolsTelemetry implements Telemetry {
  #logger: Logger | undefined;
  #metrics: Metrics | undefined;

  get logger(): Logger {
    this.#logger ??= new Logger({ serviceName: SERVICE_NAME });
    return this.#logger;
  }
  private get metrics(): Metrics {
    this.#metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    return this.#metrics;
  }

  info(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.info(message, extra);
  }
  warn(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.warn(message, extra);
  }
  error(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.error(message, extra);
  }
  metric(
    name: string,
    unit: 'Count' | 'Milliseconds',
    value: number,
    dimensions: Readonly<Record<string, string>> = {},
  ): void {
    const mUnit = unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds;
    if (Object.keys(dimensions).length === 0) {
      this.metrics.addMetric(name, mUnit, value);
      return;
    }
    // Dimensioned points go out as their own EMF blob so they don't share the invocation's dimensions.
    const single = this.metrics.singleMetric();
    single.addDimensions({ ...dimensions });
    single.addMetric(name, mUnit, value);
  }
  property(key: string, value: string | number | boolean | null): void {
    this.metrics.addMetadata(key, value === null ? 'null' : String(value));
  }
  flush(): void {
    // A quiet invocation records no metric (docs/cost.md#metrics): publishing nothing would only log
    // Powertools' "No application metrics to publish" warning, a line per invocation.
    // An invocation that never touched Metrics has nothing stored: it is not even constructed.
    if (this.#metrics?.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
  }
}
