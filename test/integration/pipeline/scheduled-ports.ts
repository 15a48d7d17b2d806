import type fc from 'fast-check';

// Ports under fast-check's scheduler, shared by the model tests: every call waits for the scheduler (so
// concurrent invocations interleave in any order), and the numbered calls in `crashAt` fail — before
// doing anything (odd steps) or after doing their work (even steps): a Lambda dying between two steps.

export class Crash extends Error {
  constructor(step: number) {
    super(`crash at step ${step}`);
    this.name = 'Crash';
  }
}

/** A wrapper for ports that share one step counter; `extra` replaces properties (e.g. a nested port). */
export function scheduledPorts(s: fc.Scheduler, crashAt: ReadonlySet<number>) {
  let step = 0;
  return <T extends object>(target: T, name: string, extra: Record<string, unknown> = {}): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        if (typeof prop === 'string' && prop in extra) return extra[prop];
        const value = Reflect.get(obj, prop, receiver);
        if (typeof value !== 'function' || prop === 'constructor') return value;
        return async (...args: unknown[]) => {
          await s.schedule(Promise.resolve(), `${name}.${String(prop)}`);
          const n = ++step;
          if (crashAt.has(n) && n % 2 === 1) throw new Crash(n);
          const result = await value.apply(obj, args);
          if (crashAt.has(n)) throw new Crash(n);
          return result;
        };
      },
    });
}
