// Genesys failures in domain terms. Callers branch on the class (or `retryable`), never on HTTP codes.
// Causes are sanitised descriptions, never the SDK's error objects: those carry request headers
// (the bearer token) and would leak it into any log that prints a cause chain.
import { SurgeError, SwitchError } from '../../core/errors';

export type GenesysFailureKind = 'http' | 'timeout' | 'network' | 'deadline' | 'auth' | 'invalid-response';

/** A Genesys Cloud call failed (after the retries it was allowed). */
export class GenesysApiError extends SurgeError {
  /** What we were doing, e.g. `getFlowsDatatableRow surge-control/tier1`. */
  readonly operation: string;
  readonly kind: GenesysFailureKind;
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** Genesys error code from the body (e.g. `not.found`), when there was one. */
  readonly code: string | undefined;
  /** Calls made for this operation, including the last one. */
  readonly attempts: number;
  /** True when a later attempt (the next tick) may well succeed: 429, 5xx, timeouts, network, deadline. */
  readonly retryable: boolean;

  constructor(
    message: string,
    details: {
      operation: string;
      kind: GenesysFailureKind;
      status?: number;
      code?: string;
      attempts: number;
      retryable: boolean;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.operation = details.operation;
    this.kind = details.kind;
    this.status = details.status;
    this.code = details.code;
    this.attempts = details.attempts;
    this.retryable = details.retryable;
  }
}

/** Neither the primary nor the break-glass OAuth client was accepted (or none is configured). */
export class GenesysAuthError extends GenesysApiError {}

/** The next retry (backoff or Retry-After) would not fit in the caller's deadline: failed now, try next tick. */
export class GenesysDeadlineError extends GenesysApiError {
  /** How long Genesys asked us (or backoff wanted) to wait, when that was the reason. */
  readonly waitMs: number | undefined;
  constructor(
    message: string,
    details: ConstructorParameters<typeof GenesysApiError>[1] & { readonly waitMs?: number },
    options?: { cause?: unknown },
  ) {
    super(message, details, options);
    this.waitMs = details.waitMs;
  }
}

/** The object named by the config (data table row, emergency group, flow, version) does not exist: 404. */
export class GenesysNotFoundError extends GenesysApiError {}

export type SwitchStage = 'read' | 'write' | 'verify' | 'publish';

/** An actuator could not be switched, or the read-back did not show the wanted state. */
export class ActuatorSwitchError extends SwitchError {
  readonly actuatorId: string;
  readonly stage: SwitchStage;
  readonly retryable: boolean;
  constructor(
    message: string,
    details: { actuatorId: string; stage: SwitchStage; retryable: boolean },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.actuatorId = details.actuatorId;
    this.stage = details.stage;
    this.retryable = details.retryable;
  }
}

/** The actuator's type is not a Genesys lever (cloudfront-kvs, notify-only): route it elsewhere. */
export class UnsupportedActuatorError extends SwitchError {}

export const isGenesysApiError = (e: unknown): e is GenesysApiError => e instanceof GenesysApiError;
