import type { Clock } from '../lambdas/core/ports';

/** The drill's time: set to each scenario line's `observedAt`, advanced by retry waits, never by the wall. */
export class SimulatedClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += Math.max(0, ms);
  }
  /** A `sleep` for adapters: waiting costs simulated time, not real time. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
  };
}
