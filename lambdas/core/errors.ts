// One error hierarchy for the domain. Classes end in `Error`, set `name`, and pass `cause`.
// Adapters map their SDK errors onto these so callers branch on domain meaning, not on AWS/Genesys codes.

export class SurgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config file or object failed validation. `path` names the bad key (e.g. `tiers.tier2.restore.waitingBelow`). */
export class ConfigError extends SurgeError {
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${detail}` : detail, options);
  }
}

/** An observation failed validation. `field` names the bad field. State is never changed by one. */
export class ObservationError extends SurgeError {
  constructor(
    readonly field: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${detail}`, options);
  }
}

/** An optimistic write lost: somebody else wrote a newer version first. Re-read and re-decide. */
export class StateConflictError extends SurgeError {}

/** The actuator's lease is held by another, unexpired holder. */
export class LeaseHeldError extends SurgeError {}

/** A write carried a fencing token that is no longer the newest: its holder lost the lease. */
export class StaleFencingTokenError extends SurgeError {}

/** A switch could not be made or could not be verified by read-back. */
export class SwitchError extends SurgeError {}

export const isSurgeError = (e: unknown): e is SurgeError => e instanceof SurgeError;
