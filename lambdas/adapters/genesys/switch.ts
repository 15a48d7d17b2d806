// SurgeSwitch over the Genesys levers: a data-table row a flow reads, an emergency group, a flow version.
// Each apply reads first (already in the wanted state → no mutating call), writes, then reads back.
import type { Actuator, ActuatorOf } from '../../core/config';
import type { ActuatorState, Clock, SurgeSwitch, SwitchOutcome } from '../../core/ports';
import {
  ActuatorSwitchError,
  GenesysApiError,
  isGenesysApiError,
  type SwitchStage,
  UnsupportedActuatorError,
} from './errors';
import type { GenesysSession } from './session';

export interface GenesysSwitchOptions {
  /** How often to look at a running publish Operation (clock ms, via `sleep`). @default 1000 */
  readonly publishPollMs?: number;
  /** Re-reads after a 409 (stale version / operation in progress) before giving up. @default 3 */
  readonly maxConflictRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Row = Readonly<Record<string, unknown>>;
interface Group extends Readonly<Record<string, unknown>> {
  readonly enabled?: unknown;
  readonly version?: unknown;
}
interface OperationView {
  readonly id?: string;
  readonly complete?: boolean;
  readonly actionStatus?: string;
  readonly errorMessage?: string;
}
interface FlowView {
  readonly publishedVersion?: { readonly id?: string };
  readonly currentOperation?: OperationView;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function asObject<T>(body: unknown, what: string): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GenesysApiError(`${what}: unexpected response (not an object)`, {
      operation: what,
      kind: 'invalid-response',
      attempts: 1,
      retryable: false,
    });
  }
  return body as T;
}

const isConflict = (e: unknown): boolean => isGenesysApiError(e) && e.status === 409;

export class GenesysSurgeSwitch implements SurgeSwitch {
  private readonly publishPollMs: number;
  private readonly maxConflictRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly session: GenesysSession,
    private readonly clock: Clock,
    options: GenesysSwitchOptions = {},
  ) {
    this.publishPollMs = options.publishPollMs ?? 1000;
    this.maxConflictRetries = options.maxConflictRetries ?? 3;
    this.sleep = options.sleep ?? realSleep;
  }

  async apply(
    actuator: Actuator,
    state: ActuatorState,
    options?: { deadline?: number },
  ): Promise<SwitchOutcome> {
    const deadline = this.session.deadlineFor(options);
    switch (actuator.type) {
      case 'datatable-row':
        return this.applyRow(actuator, state, deadline);
      case 'emergency-group':
        return this.applyEmergencyGroup(actuator, state, deadline);
      case 'flow-publish':
        return this.applyFlowPublish(actuator, state, deadline);
      default:
        throw new UnsupportedActuatorError(
          `actuator ${actuator.id}: type '${actuator.type}' is not a Genesys Cloud lever; route it to its own switch`,
        );
    }
  }

  /** The lever's current state (one GET); `unknown` when it is in neither the active nor the inactive state. */
  async read(actuator: Actuator, options?: { deadline?: number }): Promise<ActuatorState | 'unknown'> {
    const as = (value: unknown, active: unknown, inactive: unknown): ActuatorState | 'unknown' =>
      value === active ? 'active' : value === inactive ? 'inactive' : 'unknown';
    const deadline = this.session.deadlineFor(options);
    switch (actuator.type) {
      case 'datatable-row': {
        const row = await this.step(actuator, 'read', () =>
          this.session.call<Row>(
            `getFlowsDatatableRow ${actuator.datatableId}/${actuator.rowId}`,
            (sdk) =>
              sdk.architect.getFlowsDatatableRow(actuator.datatableId, actuator.rowId, { showbrief: false }),
            deadline,
          ),
        );
        const value = asObject<Row>(row, 'getFlowsDatatableRow')[actuator.field];
        return as(value, actuator.activeValue, actuator.inactiveValue);
      }
      case 'emergency-group': {
        const group = await this.step(actuator, 'read', () =>
          this.session.call<Group>(
            `getArchitectEmergencygroup ${actuator.groupId}`,
            (sdk) => sdk.architect.getArchitectEmergencygroup(actuator.groupId),
            deadline,
          ),
        );
        return as(asObject<Group>(group, 'getArchitectEmergencygroup').enabled, true, false);
      }
      case 'flow-publish': {
        const flow = await this.step(actuator, 'read', () =>
          this.session.call<FlowView>(
            `getFlow ${actuator.flowId}`,
            (sdk) => sdk.architect.getFlow(actuator.flowId),
            deadline,
          ),
        );
        const published = asObject<FlowView>(flow, 'getFlow').publishedVersion?.id;
        return as(published, actuator.surgeVersion, actuator.normalVersion);
      }
      default:
        throw new UnsupportedActuatorError(
          `actuator ${actuator.id}: type '${actuator.type}' is not a Genesys Cloud lever; route it to its own switch`,
        );
    }
  }

  private outcome(state: ActuatorState, changed: boolean): SwitchOutcome {
    return { state, changed, usedBreakGlass: this.session.usingBreakGlass };
  }

  /** Runs one step; a Genesys failure becomes an ActuatorSwitchError naming the actuator and the step. */
  private async step<T>(actuator: Actuator, stage: SwitchStage, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (!isGenesysApiError(e)) throw e;
      throw new ActuatorSwitchError(
        `actuator ${actuator.id} (${actuator.type}): ${stage} failed: ${e.message}`,
        { actuatorId: actuator.id, stage, retryable: e.retryable },
        { cause: e },
      );
    }
  }

  private verifyFailed(actuator: Actuator, detail: string): ActuatorSwitchError {
    return new ActuatorSwitchError(`actuator ${actuator.id} (${actuator.type}): read-back ${detail}`, {
      actuatorId: actuator.id,
      stage: 'verify',
      retryable: true,
    });
  }

  // ── data-table row: GET (showbrief=false, else only the key comes back) → PUT the whole row ──────────

  private async applyRow(
    a: ActuatorOf<'datatable-row'>,
    state: ActuatorState,
    deadline: number,
  ): Promise<SwitchOutcome> {
    const wanted = state === 'active' ? a.activeValue : a.inactiveValue;
    const read = (): Promise<Row> =>
      this.session
        .call(
          `getFlowsDatatableRow ${a.datatableId}/${a.rowId}`,
          (sdk) => sdk.architect.getFlowsDatatableRow(a.datatableId, a.rowId, { showbrief: false }),
          deadline,
        )
        .then((body) => asObject<Row>(body, 'getFlowsDatatableRow'));

    const row = await this.step(a, 'read', read);
    if (row[a.field] === wanted) return this.outcome(state, false);
    // PUT replaces the row: send every field back, with ours changed.
    await this.step(a, 'write', () =>
      this.session.call(
        `putFlowsDatatableRow ${a.datatableId}/${a.rowId}`,
        (sdk) =>
          sdk.architect.putFlowsDatatableRow(a.datatableId, a.rowId, {
            body: { ...row, key: a.rowId, [a.field]: wanted },
          }),
        deadline,
      ),
    );
    const after = await this.step(a, 'verify', read);
    if (after[a.field] !== wanted) {
      throw this.verifyFailed(
        a,
        `shows ${a.field}=${JSON.stringify(after[a.field])}, wanted ${JSON.stringify(wanted)}`,
      );
    }
    return this.outcome(state, true);
  }

  // ── emergency group: GET → flip `enabled` → PUT the whole group with its version; 409 → re-read ──────

  private async applyEmergencyGroup(
    a: ActuatorOf<'emergency-group'>,
    state: ActuatorState,
    deadline: number,
  ): Promise<SwitchOutcome> {
    const wanted = state === 'active';
    const read = (): Promise<Group> =>
      this.session
        .call(
          `getArchitectEmergencygroup ${a.groupId}`,
          (sdk) => sdk.architect.getArchitectEmergencygroup(a.groupId),
          deadline,
        )
        .then((body) => asObject<Group>(body, 'getArchitectEmergencygroup'));

    for (let conflicts = 0; ; conflicts += 1) {
      const group = await this.step(a, 'read', read);
      if (group.enabled === wanted) return this.outcome(state, false);
      try {
        await this.session.call(
          `putArchitectEmergencygroup ${a.groupId}`,
          (sdk) => sdk.architect.putArchitectEmergencygroup(a.groupId, { ...group, enabled: wanted }),
          deadline,
        );
        break;
      } catch (e) {
        // Someone changed the group between our GET and PUT: read it again and decide again.
        if (isConflict(e) && conflicts < this.maxConflictRetries) continue;
        await this.step(a, 'write', () => Promise.reject(e));
      }
    }
    const after = await this.step(a, 'verify', read);
    if (after.enabled !== wanted)
      throw this.verifyFailed(a, `shows enabled=${String(after.enabled)}, wanted ${wanted}`);
    return this.outcome(state, true);
  }

  // ── flow publish: publish the wanted version → poll the flow's Operation → confirm publishedVersion ──

  private async applyFlowPublish(
    a: ActuatorOf<'flow-publish'>,
    state: ActuatorState,
    deadline: number,
  ): Promise<SwitchOutcome> {
    const wanted = state === 'active' ? a.surgeVersion : a.normalVersion;
    const read = (): Promise<FlowView> =>
      this.session
        .call(`getFlow ${a.flowId}`, (sdk) => sdk.architect.getFlow(a.flowId), deadline)
        .then((body) => asObject<FlowView>(body, 'getFlow'));

    let published = false;
    for (let conflicts = 0; ; conflicts += 1) {
      // An Operation still running (ours from a previous tick, or someone else's) is waited out first.
      const flow = await this.awaitOperation(a, await this.step(a, 'read', read), read, deadline);
      if (flow.publishedVersion?.id === wanted) return this.outcome(state, published);
      if (published) {
        const op = flow.currentOperation;
        if (op?.actionStatus === 'FAILURE') {
          throw new ActuatorSwitchError(
            `actuator ${a.id} (flow-publish): publishing version ${wanted} of flow ${a.flowId} failed: ${op.errorMessage ?? 'no reason given'}`,
            { actuatorId: a.id, stage: 'publish', retryable: false },
          );
        }
        throw this.verifyFailed(
          a,
          `shows published version ${flow.publishedVersion?.id ?? 'none'}, wanted ${wanted}`,
        );
      }
      try {
        await this.session.call(
          `postFlowsActionsPublish ${a.flowId} version ${wanted}`,
          (sdk) => sdk.architect.postFlowsActionsPublish(a.flowId, { version: wanted }),
          deadline,
        );
        published = true;
      } catch (e) {
        // Another publish started between our GET and POST: wait for it and look again.
        if (isConflict(e) && conflicts < this.maxConflictRetries) continue;
        await this.step(a, 'publish', () => Promise.reject(e));
      }
    }
  }

  /** Polls the flow until it has no running Operation; fails (retryable) if that outlasts the deadline. */
  private async awaitOperation(
    a: ActuatorOf<'flow-publish'>,
    first: FlowView,
    read: () => Promise<FlowView>,
    deadline: number,
  ): Promise<FlowView> {
    let flow = first;
    while (flow.currentOperation && flow.currentOperation.complete === false) {
      if (this.clock.now() + this.publishPollMs >= deadline) {
        throw new ActuatorSwitchError(
          `actuator ${a.id} (flow-publish): operation ${flow.currentOperation.id ?? '?'} on flow ${a.flowId} still running at the deadline; the next tick looks again`,
          { actuatorId: a.id, stage: 'publish', retryable: true },
        );
      }
      await this.sleep(this.publishPollMs);
      flow = await this.step(a, 'publish', read);
    }
    return flow;
  }
}
