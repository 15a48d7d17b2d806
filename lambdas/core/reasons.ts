// The reason catalogue: every decision, transition, page and report line carries one of these
// machine-readable reasons, so logs, pages and drill reports speak the same words.
// Values are stable public strings (they appear in `--json` output and in pages): add, never rename.

export const Reason = {
  // ── Observation handling (decide) ────────────────────────────────────────────────────────
  /** The observation was accepted and changed no tier's state. */
  STEADY: 'steady',
  /** `observedAt` equals the queue's last accepted one (a redelivery): ignored, state unchanged. */
  DUPLICATE: 'duplicate',
  /** `observedAt` is older than the queue's last accepted one (a late event): ignored, state unchanged. */
  OUT_OF_ORDER: 'out-of-order',
  /** More than 1.5 × intervalSeconds since the last accepted observation: every streak restarted at 0. */
  GAP: 'gap',
  /** The first observation ever seen for this queue: streaks start here. */
  FIRST_OBSERVATION: 'first-observation',
  /**
   * `observedAt` is later than the evaluating clock by more than `futureToleranceSeconds` (default
   * 2 × intervalSeconds): rejected and paged, state unchanged, so later real observations still count.
   */
  FUTURE_DATED: 'future-dated',

  // ── Tier transitions (decide) ────────────────────────────────────────────────────────────
  /** activate predicate held for `activate.forObservations` consecutive observations. */
  ACTIVATE_THRESHOLD: 'activate-threshold',
  /** restore predicate held for `restore.forObservations` consecutive observations (and minActiveSeconds passed). */
  RESTORE_THRESHOLD: 'restore-threshold',
  /** A `recommend`-mode tier transitioned: paged as a recommendation, nothing is switched. */
  RECOMMENDATION: 'recommendation',
  /** Restore streak is long enough but the tier has not been active for `minActiveSeconds` yet. */
  MIN_ACTIVE_HOLD: 'min-active-hold',
  /** `agentsAvailable` was unknown (null): never satisfies `agentsAvailableBelow`, so no activation streak. */
  AGENTS_UNKNOWN: 'agents-unknown',
  /** The tier's mode is `off`: it is not evaluated (and its state is forgotten). */
  TIER_OFF: 'tier-off',

  // ── Manual overrides ─────────────────────────────────────────────────────────────────────
  /** A manual override forces the tier active; the automatic state keeps counting underneath. */
  OVERRIDE_ACTIVE: 'override-active',
  /** A manual override forces the tier inactive; the automatic state keeps counting underneath. */
  OVERRIDE_INACTIVE: 'override-inactive',
  /** An override's `until` passed: the automatic state applies again. */
  OVERRIDE_EXPIRED: 'override-expired',

  // ── Controller health (app layer pages these) ────────────────────────────────────────────
  /** No accepted observation for `staleAfterSeconds`: tiers are held, never restored on missing data. */
  STALE_OBSERVATIONS: 'stale-observations',
  /** A tier transitioned at least `flapping.transitions` times within `flapping.windowSeconds`: tune the band. */
  FLAPPING: 'flapping',
  /** Switching an actuator or verifying it by read-back failed. */
  SWITCH_FAILING: 'switch-failing',
  /** The primary Genesys credentials failed and the break-glass client was used. */
  BREAK_GLASS_USED: 'break-glass-used',
  /** Calls to a target are short-circuited after repeated failures. */
  CIRCUIT_OPEN: 'circuit-open',
  /** One of the controller's own CloudWatch alarms changed state (ALARM triggers, OK resolves). */
  CONTROLLER_ALARM: 'controller-alarm',

  // ── Actuators (app layer) ────────────────────────────────────────────────────────────────
  /** An actuator's desired state became active: at least one covered queue's tier is effectively active. */
  ACTUATOR_DEMANDED: 'actuator-demanded',
  /** An actuator's desired state became inactive: no covered queue's tier is effectively active. */
  ACTUATOR_RELEASED: 'actuator-released',
  /** The target was already in the desired state (read-back): no mutating call was made. */
  ALREADY_APPLIED: 'already-applied',
  /** Another holder owns the actuator's lease: this evaluation leaves the switch to it. */
  LOCK_HELD: 'lock-held',
  /** A lever read back in another state than recorded (changed by hand, or a superseded holder's late write): put back. */
  DRIFT: 'drift',
  /** An actuator's demander set disagreed with the queue states and overrides: rebuilt from them. */
  DEMAND_REPAIRED: 'demand-repaired',

  // ── Tier 4 (edge) ────────────────────────────────────────────────────────────────────────
  /** The edge origin alarm went into ALARM: static fallback is serving. */
  EDGE_FALLBACK_ALARM: 'edge-fallback-alarm',
  /** The edge origin alarm returned to OK: the origin serves again. */
  EDGE_FALLBACK_OK: 'edge-fallback-ok',

  // ── CRM screen-pop lookup (docs/crm.md) ──────────────────────────────────────────────────
  /** The primary CRM refused lookups (other 4xx) repeatedly within the window: a config or permission problem. */
  CRM_LOOKUP_REFUSED: 'crm-lookup-refused',
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

export const ALL_REASONS: readonly Reason[] = Object.values(Reason);

export const isReason = (v: unknown): v is Reason =>
  typeof v === 'string' && (ALL_REASONS as string[]).includes(v);
