// The emulated org's configuration objects (data tables, emergency groups, IVRs, flows) and the rules
// Genesys Cloud applies when they are read and written. No HTTP here: routes call these methods; a refusal
// is a GenesysHttpError with the status and code Genesys answers with.
import { randomUUID } from 'node:crypto';
import { badRequest, ErrorCode, GenesysHttpError, isPlainObject, notFound } from './http';

export type FieldType = 'string' | 'boolean' | 'integer' | 'number';
export type RowValue = string | number | boolean;
/** A data table row: `key` plus the table's fields. */
export type DatatableRow = { readonly key: string } & Readonly<Record<string, RowValue>>;

export interface DatatableSeed {
  readonly id: string;
  readonly name?: string;
  /** The table's columns besides `key`. Default: inferred from the first row's values. */
  readonly fields?: Readonly<Record<string, FieldType>>;
  readonly rows?: readonly DatatableRow[];
}

export interface EntityRef {
  readonly id: string;
  readonly name?: string;
}

export interface EmergencyCallFlow {
  readonly emergencyFlow: EntityRef;
  readonly ivrs: readonly EntityRef[];
}

export interface EmergencyGroup {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly version: number;
  readonly state: 'active';
  readonly enabled: boolean;
  readonly emergencyCallFlows: readonly EmergencyCallFlow[];
  readonly selfUri: string;
}

export interface EmergencyGroupSeed {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly enabled?: boolean;
  readonly emergencyCallFlows?: readonly EmergencyCallFlow[];
}

export interface Ivr {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly state: 'active';
  readonly dnis: readonly string[];
  readonly openHoursFlow?: EntityRef;
  readonly closedHoursFlow?: EntityRef;
  readonly holidayHoursFlow?: EntityRef;
  readonly scheduleGroup?: EntityRef;
  readonly selfUri: string;
}

export interface IvrSeed {
  readonly id: string;
  readonly name: string;
  readonly dnis?: readonly string[];
  readonly openHoursFlow?: EntityRef;
  readonly closedHoursFlow?: EntityRef;
  readonly holidayHoursFlow?: EntityRef;
  readonly scheduleGroup?: EntityRef;
}

export interface Operation {
  readonly id: string;
  readonly complete: boolean;
  readonly actionName: 'PUBLISH';
  readonly actionStatus: 'RUNNING' | 'SUCCESS' | 'FAILURE';
  readonly errorMessage?: string;
}

export interface Flow {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly publishedVersion?: { readonly id: string };
  readonly savedVersion?: { readonly id: string };
  readonly currentOperation?: Operation;
  readonly selfUri: string;
}

export interface FlowSeed {
  readonly id: string;
  readonly name: string;
  /** Flow type, e.g. INBOUNDCALL (default). */
  readonly type?: string;
  /** Existing version ids, e.g. ['1', '2']. */
  readonly versions: readonly string[];
  readonly publishedVersion?: string;
  /** If set, every publish of this flow completes with FAILURE and this message (a broken flow). */
  readonly failPublish?: string;
}

interface FlowRecord {
  readonly seed: FlowSeed;
  published?: string;
  operation?: Operation & { readonly completesAt: number; readonly version: string };
}

interface DatatableRecord {
  readonly id: string;
  readonly name: string;
  readonly fields: Record<string, FieldType>;
  readonly rows: Map<string, DatatableRow>;
}

/** What a successful mutation changed, in words for the mutation log. */
export interface Change<T> {
  readonly result: T;
  readonly summary: string;
}

const typeOf = (v: unknown): FieldType | undefined => {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  if (typeof v === 'number' && Number.isFinite(v)) return 'number';
  return undefined;
};
const fits = (type: FieldType, v: unknown): boolean =>
  type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeOf(v) === type;

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

function entityRef(v: unknown, field: string): EntityRef {
  if (!isPlainObject(v) || typeof v.id !== 'string' || v.id === '') {
    throw badRequest(`${field} must be an object with a non-empty string id`);
  }
  return typeof v.name === 'string' ? { id: v.id, name: v.name } : { id: v.id };
}

function optionalRef(body: Record<string, unknown>, field: string): EntityRef | undefined {
  return body[field] === undefined || body[field] === null ? undefined : entityRef(body[field], field);
}

function requireVersion(body: Record<string, unknown>): number {
  const version = body.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw badRequest('version is required (an integer): read the object first and send its version back');
  }
  return version;
}

function requireName(body: Record<string, unknown>): string {
  if (typeof body.name !== 'string' || body.name.trim() === '') throw badRequest('name is required');
  return body.name;
}

function conflict(kind: string, id: string, sent: number, current: number): GenesysHttpError {
  return new GenesysHttpError(
    409,
    ErrorCode.conflict,
    `${kind} ${id} was modified: version ${sent} is stale, the current version is ${current}`,
  );
}

export class Org {
  private readonly datatables = new Map<string, DatatableRecord>();
  private readonly groups = new Map<string, EmergencyGroup>();
  private readonly ivrs = new Map<string, Ivr>();
  private readonly flows = new Map<string, FlowRecord>();

  constructor(
    private readonly now: () => number,
    /** Simulated ms from a publish call until its Operation completes. */
    private readonly publishDelayMs: number,
  ) {}

  // ── seeding (tests, drills, the CLI) ─────────────────────────────────────────────────────

  seedDatatable(seed: DatatableSeed): void {
    const first = seed.rows?.[0];
    const inferred: Record<string, FieldType> = {};
    for (const [k, v] of Object.entries(first ?? {})) {
      const t = typeOf(v);
      if (k !== 'key' && t) inferred[k] = t;
    }
    const fields = { ...(seed.fields ?? inferred) };
    const rows = new Map<string, DatatableRow>();
    for (const row of seed.rows ?? []) rows.set(row.key, { ...this.checkRow(fields, row, row.key) });
    this.datatables.set(seed.id, { id: seed.id, name: seed.name ?? seed.id, fields, rows });
  }

  /**
   * Creates the table with these fields if it does not exist, or adds the fields it lacks. Throws a
   * RangeError naming the field if the table already has it with another type.
   */
  ensureDatatable(id: string, fields: Readonly<Record<string, FieldType>>): void {
    const table = this.datatables.get(id);
    if (!table) {
      this.seedDatatable({ id, fields });
      return;
    }
    for (const [field, type] of Object.entries(fields)) {
      const existing = table.fields[field];
      if (existing && existing !== type) {
        throw new RangeError(`data table ${id}: field '${field}' is a ${existing}, not a ${type}`);
      }
      table.fields[field] = type;
    }
  }

  /** Does the table have this row? */
  hasRow(datatableId: string, rowId: string): boolean {
    return this.datatables.get(datatableId)?.rows.has(rowId) ?? false;
  }

  /** Adds or replaces one row of an existing table (seeding, no mutation log). */
  seedRow(datatableId: string, row: DatatableRow): void {
    const table = this.datatable(datatableId);
    table.rows.set(row.key, { ...this.checkRow(table.fields, row, row.key) });
  }

  seedEmergencyGroup(seed: EmergencyGroupSeed): void {
    this.groups.set(seed.id, {
      id: seed.id,
      name: seed.name,
      ...(seed.description === undefined ? {} : { description: seed.description }),
      version: 1,
      state: 'active',
      enabled: seed.enabled ?? false,
      emergencyCallFlows: seed.emergencyCallFlows ?? [],
      selfUri: `/api/v2/architect/emergencygroups/${seed.id}`,
    });
  }

  seedIvr(seed: IvrSeed): void {
    this.ivrs.set(seed.id, {
      ...seed,
      dnis: [...(seed.dnis ?? [])],
      version: 1,
      state: 'active',
      selfUri: `/api/v2/architect/ivrs/${seed.id}`,
    });
  }

  seedFlow(seed: FlowSeed): void {
    if (seed.versions.length === 0) throw new RangeError(`flow ${seed.id}: versions must not be empty`);
    if (seed.publishedVersion !== undefined && !seed.versions.includes(seed.publishedVersion)) {
      throw new RangeError(
        `flow ${seed.id}: publishedVersion ${seed.publishedVersion} is not one of its versions`,
      );
    }
    this.flows.set(seed.id, {
      seed,
      ...(seed.publishedVersion === undefined ? {} : { published: seed.publishedVersion }),
    });
  }

  // ── data tables ──────────────────────────────────────────────────────────────────────────

  private datatable(id: string): DatatableRecord {
    const table = this.datatables.get(id);
    if (!table) throw notFound(`data table ${id}`);
    return table;
  }

  private checkRow(
    fields: Record<string, FieldType>,
    body: Record<string, unknown>,
    rowId: string,
  ): DatatableRow {
    if (body.key !== rowId) {
      throw badRequest(
        `key must be present in the row and equal the row id '${rowId}' (got ${show(body.key)})`,
      );
    }
    for (const [field, value] of Object.entries(body)) {
      if (field === 'key') continue;
      const type = fields[field];
      if (!type) throw badRequest(`field '${field}' is not in the data table's schema`);
      if (!fits(type, value)) throw badRequest(`field '${field}' must be a ${type}, got ${show(value)}`);
    }
    return body as DatatableRow;
  }

  getDatatable(id: string): { id: string; name: string; schema: unknown } {
    const table = this.datatable(id);
    const properties: Record<string, unknown> = {
      key: { title: 'key', type: 'string', $id: '/properties/key' },
    };
    for (const [field, type] of Object.entries(table.fields)) {
      properties[field] = { title: field, type, $id: `/properties/${field}` };
    }
    return {
      id: table.id,
      name: table.name,
      schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['key'],
        properties,
      },
    };
  }

  /** `showbrief` defaults to true, as in Genesys: only the key comes back unless the caller asks for more. */
  getRow(datatableId: string, rowId: string, showbrief: boolean): DatatableRow {
    const row = this.datatable(datatableId).rows.get(rowId);
    if (!row) throw notFound(`row ${rowId} of data table ${datatableId}`);
    return showbrief ? { key: row.key } : { ...row };
  }

  listRows(datatableId: string, showbrief: boolean): DatatableRow[] {
    return [...this.datatable(datatableId).rows.values()].map((r) => (showbrief ? { key: r.key } : { ...r }));
  }

  /** PUT replaces the whole row: fields the body leaves out are gone afterwards. */
  putRow(datatableId: string, rowId: string, body: unknown): Change<DatatableRow> {
    const table = this.datatable(datatableId);
    const before = table.rows.get(rowId);
    if (!before) throw notFound(`row ${rowId} of data table ${datatableId}`);
    if (!isPlainObject(body)) throw badRequest('the row must be a JSON object');
    const row = { ...this.checkRow(table.fields, body, rowId) };
    table.rows.set(rowId, row);
    const changes = [...new Set([...Object.keys(before), ...Object.keys(row)])]
      .filter((f) => before[f] !== row[f])
      .map((f) => `${f}: ${show(before[f])} → ${show(row[f])}`);
    return {
      result: { ...row },
      summary: `data table ${datatableId} row ${rowId}: ${changes.length ? changes.join(', ') : 'no change'}`,
    };
  }

  // ── emergency groups ─────────────────────────────────────────────────────────────────────

  getEmergencyGroup(id: string): EmergencyGroup {
    const group = this.groups.get(id);
    if (!group) throw notFound(`emergency group ${id}`);
    return structuredClone(group);
  }

  /** An out-of-band edit (an admin in the UI): bumps the version, so a client holding the old one gets 409. */
  editEmergencyGroup(
    id: string,
    patch: Partial<Pick<EmergencyGroup, 'name' | 'description' | 'enabled' | 'emergencyCallFlows'>>,
  ): EmergencyGroup {
    const before = this.getEmergencyGroup(id);
    const after: EmergencyGroup = { ...before, ...patch, version: before.version + 1 };
    this.groups.set(id, after);
    return structuredClone(after);
  }

  /** PUT replaces the whole group; `version` must be the current one (else 409). */
  putEmergencyGroup(id: string, body: unknown): Change<EmergencyGroup> {
    const before = this.getEmergencyGroup(id);
    if (!isPlainObject(body)) throw badRequest('the emergency group must be a JSON object');
    const name = requireName(body);
    const version = requireVersion(body);
    if (body.enabled !== undefined && typeof body.enabled !== 'boolean')
      throw badRequest('enabled must be a boolean');
    const rawFlows = body.emergencyCallFlows ?? [];
    if (!Array.isArray(rawFlows)) throw badRequest('emergencyCallFlows must be an array');
    const emergencyCallFlows = rawFlows.map((f, i): EmergencyCallFlow => {
      if (!isPlainObject(f)) throw badRequest(`emergencyCallFlows[${i}] must be an object`);
      const ivrs = f.ivrs ?? [];
      if (!Array.isArray(ivrs)) throw badRequest(`emergencyCallFlows[${i}].ivrs must be an array`);
      return {
        emergencyFlow: entityRef(f.emergencyFlow, `emergencyCallFlows[${i}].emergencyFlow`),
        ivrs: ivrs.map((r, j) => entityRef(r, `emergencyCallFlows[${i}].ivrs[${j}]`)),
      };
    });
    if (version !== before.version) throw conflict('emergency group', id, version, before.version);
    const enabled = body.enabled ?? false;
    const description = typeof body.description === 'string' ? body.description : undefined;
    const after: EmergencyGroup = {
      id,
      name,
      ...(description === undefined ? {} : { description }),
      version: before.version + 1,
      state: 'active',
      enabled,
      emergencyCallFlows,
      selfUri: before.selfUri,
    };
    this.groups.set(id, after);
    const changes = [`version ${before.version} → ${after.version}`];
    if (before.enabled !== enabled) changes.unshift(`enabled: ${before.enabled} → ${enabled}`);
    const droppedIvrs =
      before.emergencyCallFlows.flatMap((f) => f.ivrs).length -
      emergencyCallFlows.flatMap((f) => f.ivrs).length;
    if (droppedIvrs > 0) changes.push(`${droppedIvrs} IVR reference(s) dropped`);
    return { result: structuredClone(after), summary: `emergency group ${id}: ${changes.join(', ')}` };
  }

  // ── IVRs ─────────────────────────────────────────────────────────────────────────────────

  getIvr(id: string): Ivr {
    const ivr = this.ivrs.get(id);
    if (!ivr) throw notFound(`IVR ${id}`);
    return structuredClone(ivr);
  }

  /** Every IVR config, ordered by id (the listing's order). */
  listIvrs(): Ivr[] {
    return [...this.ivrs.values()].sort((a, b) => a.id.localeCompare(b.id)).map((i) => structuredClone(i));
  }

  /** PUT replaces the IVR; a DID can be listed by one IVR only. */
  putIvr(id: string, body: unknown): Change<Ivr> {
    const before = this.getIvr(id);
    if (!isPlainObject(body)) throw badRequest('the IVR must be a JSON object');
    const name = requireName(body);
    const version = requireVersion(body);
    const dnis = body.dnis ?? [];
    if (!Array.isArray(dnis) || dnis.some((d) => typeof d !== 'string' || d === '')) {
      throw badRequest('dnis must be an array of non-empty strings');
    }
    for (const other of this.ivrs.values()) {
      const taken = other.id === id ? undefined : dnis.find((d) => other.dnis.includes(d));
      if (taken) throw badRequest(`dnis ${taken} is already assigned to IVR ${other.id}`);
    }
    if (version !== before.version) throw conflict('IVR', id, version, before.version);
    const refs: Partial<
      Record<'openHoursFlow' | 'closedHoursFlow' | 'holidayHoursFlow' | 'scheduleGroup', EntityRef>
    > = {};
    for (const field of ['openHoursFlow', 'closedHoursFlow', 'holidayHoursFlow', 'scheduleGroup'] as const) {
      const ref = optionalRef(body, field);
      if (ref) refs[field] = ref;
    }
    const after: Ivr = {
      id,
      name,
      version: before.version + 1,
      state: 'active',
      dnis: dnis as string[],
      ...refs,
      selfUri: before.selfUri,
    };
    this.ivrs.set(id, after);
    const added = after.dnis.filter((d) => !before.dnis.includes(d));
    const removed = before.dnis.filter((d) => !after.dnis.includes(d));
    const changes = [`version ${before.version} → ${after.version}`];
    if (added.length) changes.unshift(`dnis added ${added.join(' ')}`);
    if (removed.length) changes.unshift(`dnis removed ${removed.join(' ')}`);
    return { result: structuredClone(after), summary: `IVR ${id}: ${changes.join(', ')}` };
  }

  // ── flows ────────────────────────────────────────────────────────────────────────────────

  private flowRecord(id: string): FlowRecord {
    const flow = this.flows.get(id);
    if (!flow) throw notFound(`flow ${id}`);
    this.settle(flow);
    return flow;
  }

  /** Publishing is asynchronous: the Operation completes once simulated time has moved on. */
  private settle(flow: FlowRecord): void {
    const op = flow.operation;
    if (!op || op.complete || this.now() < op.completesAt) return;
    const failure = flow.seed.failPublish;
    flow.operation = failure
      ? { ...op, complete: true, actionStatus: 'FAILURE', errorMessage: failure }
      : { ...op, complete: true, actionStatus: 'SUCCESS' };
    if (!failure) flow.published = op.version;
  }

  private operationView(op: FlowRecord['operation']): Operation | undefined {
    if (!op) return undefined;
    const { completesAt: _at, version: _v, ...view } = op;
    return view;
  }

  getFlow(id: string): Flow {
    const flow = this.flowRecord(id);
    const versions = flow.seed.versions;
    const operation = this.operationView(flow.operation);
    return {
      id,
      name: flow.seed.name,
      type: flow.seed.type ?? 'INBOUNDCALL',
      ...(flow.published === undefined ? {} : { publishedVersion: { id: flow.published } }),
      savedVersion: { id: versions[versions.length - 1] as string },
      ...(operation ? { currentOperation: operation } : {}),
      selfUri: `/api/v2/flows/${id}`,
    };
  }

  getFlowVersions(id: string): { id: string; name: string }[] {
    const { seed } = this.flowRecord(id);
    return seed.versions.map((v) => ({ id: v, name: `${seed.name} v${v}` }));
  }

  /** `POST /api/v2/flows/actions/publish?flow=&version=`: starts an Operation; one at a time per flow. */
  publish(flowId: string | null, version: string | null): Change<Operation> {
    if (!flowId) throw badRequest('query parameter flow is required');
    const flow = this.flowRecord(flowId);
    const wanted = version ?? flow.seed.versions[flow.seed.versions.length - 1];
    if (wanted === undefined || !flow.seed.versions.includes(wanted)) {
      throw new GenesysHttpError(
        400,
        ErrorCode.invalidValue,
        `version ${version} does not exist for flow ${flowId} (versions: ${flow.seed.versions.join(', ')})`,
      );
    }
    if (flow.operation && !flow.operation.complete) {
      throw new GenesysHttpError(
        409,
        ErrorCode.conflict,
        `flow ${flowId} has an operation in progress (${flow.operation.id})`,
      );
    }
    flow.operation = {
      id: randomUUID(),
      complete: false,
      actionName: 'PUBLISH',
      actionStatus: 'RUNNING',
      completesAt: this.now() + this.publishDelayMs,
      version: wanted,
    };
    return {
      result: this.operationView(flow.operation) as Operation,
      summary: `flow ${flowId}: publish version ${wanted} (was ${flow.published ?? 'unpublished'}), operation ${flow.operation.id}`,
    };
  }
}
