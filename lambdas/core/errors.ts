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

/**
 * A config file failed to parse or validate. One line: `file:line: path: detail` (`line` is where the
 * offending key, or its nearest written ancestor, appears; omitted when unknown).
 */
export class ConfigFileError extends ConfigError {
  constructor(
    readonly source: string,
    readonly line: number | undefined,
    path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(path, detail, options);
    this.message = `${source}${line === undefined ? '' : `:${line}`}: ${this.message}`;
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

/**
 * An item read from the state table does not have the shape this version writes (hand-edited, written
 * by an incompatible version, or truncated). `key` names the item (`pk/sk`), `field` the bad attribute.
 */
export class StoredItemError extends SurgeError {
  constructor(
    readonly key: string,
    readonly field: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`state table item ${key}: ${field}: ${detail}`, options);
  }
}

/** Credentials could not be read or are malformed. Names the secret and the field, never the value. */
export class CredentialsError extends SurgeError {
  constructor(
    readonly secretName: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`secret '${secretName}': ${detail}`, options);
  }
}

/** A stored queue state failed validation on hydrate. `field` names the bad attribute (e.g. `tiers.tier2.status`). */
export class StateError extends SurgeError {
  constructor(
    readonly field: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`queue state: ${field}: ${detail}`, options);
  }
}

/**
 * A call was refused without reaching its dependency because the dependency's shared circuit breaker is
 * open (or half-open with another caller's probe in flight). The caller's fallback runs instead: an
 * actuator stays pending, a page stays queued, a CRM lookup goes to the next source (docs/resilience.md).
 */
export class CircuitOpenError extends SurgeError {
  constructor(
    /** The breaker's name, e.g. `genesys`. */
    readonly breaker: string,
    /** Epoch ms from which a probe may be tried; undefined while another caller's probe is in flight. */
    readonly retryAt: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `circuit ${breaker} is open: call refused without reaching the dependency${
        retryAt === undefined
          ? ' (a probe is in flight)'
          : ` (next probe from ${new Date(retryAt).toISOString()})`
      }`,
      options,
    );
  }
}

export const isCircuitOpenError = (e: unknown): e is CircuitOpenError => e instanceof CircuitOpenError;

export const isSurgeError = (e: unknown): e is SurgeError => e instanceof SurgeError;
