// Ports of the DR switchover (docs/dr.md), in the domain's words. Adapters: the Genesys DR org
// (lambdas/adapters/genesys/dr-org.ts) and the DynamoDB run store (lambdas/adapters/dynamodb/dr-run-store.ts).
import type {
  BackupIvrFact,
  ControlRow,
  DrDirection,
  DrMode,
  DrOp,
  DrOpRecord,
  DrStateRecord,
  FlowFact,
  LeaseFact,
  MirrorSummary,
} from './dr-plan';

/** A callback as the conversation details query shows it (no attributes: that query never has them). */
export interface CallbackFact {
  readonly conversationId: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly queueId?: string;
  readonly callbackNumbers: readonly string[];
  readonly callbackUserName?: string;
  readonly callbackScheduledTime?: string;
}

/** What a shadow callback in the primary org is created from. */
export interface ShadowCallback {
  readonly sourceConversationId: string;
  readonly queueId?: string;
  readonly callbackNumbers: readonly string[];
  readonly callbackUserName?: string;
  readonly callbackScheduledTime?: string;
}

/** The shared circuit breaker every backup-org call goes through (docs/resilience.md, docs/dr.md). */
export const BACKUP_BREAKER = 'genesys-backup';

/** `data` key of a shadow callback naming the backup org's conversation it mirrors. */
export const SHADOW_SOURCE_KEY = 'drSourceConversationId';

/** One Genesys org as the DR switchover uses it. Every call is paced under the org's rate limits. */
export interface DrOrg {
  /** Key → row of a data table (every page, whole rows). */
  listControlRows(datatableId: string): Promise<Map<string, ControlRow>>;
  readControlRow(datatableId: string, key: string): Promise<ControlRow>;
  /** PUT replaces the row: pass the whole row. */
  putControlRow(datatableId: string, key: string, row: ControlRow): Promise<void>;
  listIvrs(): Promise<Map<string, BackupIvrFact>>;
  /** The IVR as Genesys returns it (the PUT sends it back whole, with its version). */
  getIvr(ivrId: string): Promise<BackupIvrFact & { readonly body: Readonly<Record<string, unknown>> }>;
  /** Versioned PUT; a stale version throws DrConflictError. */
  putIvr(ivrId: string, body: Readonly<Record<string, unknown>>): Promise<void>;
  getFlow(flowId: string): Promise<FlowFact>;
  /** Callbacks created in [from, to) (epoch ms), every page. */
  findCallbacks(from: number, to: number): Promise<CallbackFact[]>;
  /** Creates a callback carrying its source id in `data`; returns the new conversation id. */
  createShadowCallback(callback: ShadowCallback): Promise<string>;
  /** The source id a callback conversation carries in its participant attributes (read-back). */
  shadowSourceOf(conversationId: string): Promise<string | undefined>;
  /** True while the session holds a break-glass token. */
  readonly usingBreakGlass: boolean;
}

export interface DrLease {
  readonly runId: string;
  readonly owner: string;
  readonly token: number;
  readonly expiresAt: number;
}

export interface DrRunHeader {
  readonly runId: string;
  readonly direction: DrDirection;
  readonly mode: DrMode;
  readonly status: 'running' | 'completed' | 'failed';
  /** Epoch ms: the run's start (RTO counts from here, across resumes). */
  readonly startedAt: number;
  readonly owner: string;
  readonly floorMs: number;
  /** The failover run a failback reverses. */
  readonly reverses?: string;
  readonly finishedAt?: number;
  readonly rtoMs?: number;
  readonly mirror?: MirrorSummary;
  readonly error?: string;
}

export interface MirrorEntry {
  readonly sourceConversationId: string;
  /** `posting`: a create was sent and its outcome is unknown (crash); `verified`: read back. */
  readonly status: 'posting' | 'verified';
  readonly primaryConversationId?: string;
  readonly at: number;
  readonly runId: string;
}

export interface ReadinessRecord {
  /** Check code → epoch ms its failing episode opened. */
  readonly openEpisodes: Readonly<Record<string, number>>;
  readonly lastRunAt?: number;
  readonly lastOk?: boolean;
}

/** The DR partition of the state table: lease, runs and their ops, DR state, mirror ledger, readiness. */
export interface DrRunStore {
  readLease(now: number): Promise<LeaseFact>;
  /** Throws LeaseHeldError while another unexpired holder has it. */
  acquireLease(runId: string, owner: string, now: number, leaseMs: number): Promise<DrLease>;
  /** Extends our lease; throws StaleFencingTokenError if we lost it. */
  renewLease(lease: DrLease, now: number, leaseMs: number): Promise<DrLease>;
  releaseLease(lease: DrLease): Promise<void>;

  readState(): Promise<DrStateRecord>;
  writeState(state: DrStateRecord, lease: DrLease): Promise<void>;

  createRun(header: DrRunHeader, ops: readonly DrOp[], lease: DrLease): Promise<void>;
  getRun(runId: string): Promise<{ header: DrRunHeader; ops: DrOpRecord[] } | undefined>;
  findIncompleteRun(): Promise<DrRunHeader | undefined>;
  listRuns(): Promise<DrRunHeader[]>;
  recordOps(runId: string, records: readonly DrOpRecord[], lease: DrLease): Promise<void>;
  updateRun(runId: string, patch: Partial<DrRunHeader>, lease: DrLease): Promise<void>;

  getMirrors(sourceIds: readonly string[]): Promise<Map<string, MirrorEntry>>;
  putMirror(entry: MirrorEntry, lease: DrLease): Promise<void>;

  readReadiness(): Promise<ReadinessRecord>;
  writeReadiness(record: ReadinessRecord): Promise<void>;
}

/** An IVR PUT carried a stale version (someone edited it): re-read and try again. */
export class DrConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrConflictError';
  }
}
