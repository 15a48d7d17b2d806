// The DR switchover's Genesys calls (docs/dr.md) over one GenesysSession per org, paced by a token
// bucket per OAuth token (and one for IVR PUTs), so a 1,000-DID run stays under 300 requests/min
// without relying on 429s. A 429 that still comes (another client on the token, a storm) is
// honoured by the session (Retry-After, 2 retries); beyond that the executor retries the operation.
import ConversationsApi from 'purecloud-platform-client-v2/src/purecloud-platform-client-v2/api/ConversationsApi.js';
import type { BackupIvrFact, ControlRow, FlowFact } from '../../core/dr-plan';
import {
  type CallbackFact,
  DrConflictError,
  type DrOrg,
  SHADOW_SOURCE_KEY,
  type ShadowCallback,
} from '../../core/dr-ports';
import type { Clock, CredentialsSource } from '../../core/ports';
import { clientLimits, fullBucket, type TokenBucketState, takeToken } from '../../core/token-bucket';
import { GenesysApiError, isGenesysApiError } from './errors';
import type { GatewayOptions } from './sdk';
import { GenesysSession, type SessionEvent } from './session';

export interface DrOrgOptions {
  readonly credentials: CredentialsSource;
  readonly clock: Clock;
  readonly region?: string;
  readonly gateway?: string | GatewayOptions;
  /** Waiting costs simulated time in drills. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly requestsPerMinute: number;
  readonly ivrPutsPerMinute: number;
  readonly burst: number;
  /** Budget per call including the session's retries. @default 300000 (several minute-long Retry-Afters fit) */
  readonly callBudgetMs?: number;
  /**
   * Retries per call (429/5xx/timeouts), each after `Retry-After` when given. A DR run has no next tick
   * to leave a storm to, so it waits a storm out inside the call. @default 8
   */
  readonly maxRetries?: number;
  readonly callTimeoutMs?: number;
  /** Runs every call (a circuit breaker, docs/dr.md); default: call straight through. */
  readonly guard?: <T>(call: () => Promise<T>) => Promise<T>;
  readonly onEvent?: (event: SessionEvent) => void;
}

/** Page sizes: data-table rows allow 500, IVRs and conversation details 100. */
const ROWS_PAGE = 500;
const IVR_PAGE = 100;
const DETAILS_PAGE = 100;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function ivrFact(body: unknown): BackupIvrFact {
  const b = obj(body);
  return {
    id: String(b.id ?? ''),
    name: String(b.name ?? ''),
    version: typeof b.version === 'number' ? b.version : 0,
    dnis: arr(b.dnis).filter((d): d is string => typeof d === 'string'),
  };
}

/** A credentials source that only offers the break-glass client (the backup org's DR login). */
export function breakGlassOnly(source: CredentialsSource): CredentialsSource {
  return {
    get: (which, options) =>
      which === 'primary' ? Promise.resolve(undefined) : source.get('breakGlass', options),
  };
}

export class GenesysDrOrg implements DrOrg {
  readonly session: GenesysSession;
  private readonly conversations: ConversationsApi;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly callBudgetMs: number;
  private readonly guard: <T>(call: () => Promise<T>) => Promise<T>;
  private readonly requestLimits;
  private readonly ivrPutLimits;
  private requestBucket: TokenBucketState;
  private ivrPutBucket: TokenBucketState;
  /** Calls granted, for reports and benchmarks. */
  calls = 0;

  constructor(options: DrOrgOptions) {
    this.clock = options.clock;
    this.sleep = options.sleep ?? realSleep;
    this.callBudgetMs = options.callBudgetMs ?? 300_000;
    this.guard = options.guard ?? ((call) => call());
    this.session = new GenesysSession({
      credentials: options.credentials,
      clock: options.clock,
      maxRetries: options.maxRetries ?? 8,
      ...(options.region ? { region: options.region } : {}),
      ...(options.gateway ? { gateway: options.gateway } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    this.conversations = new ConversationsApi(this.session.sdk.client);
    this.requestLimits = clientLimits(options.requestsPerMinute, options.burst);
    this.ivrPutLimits = clientLimits(options.ivrPutsPerMinute, options.burst);
    this.requestBucket = fullBucket(this.requestLimits, options.clock.now());
    this.ivrPutBucket = fullBucket(this.ivrPutLimits, options.clock.now());
  }

  get usingBreakGlass(): boolean {
    return this.session.usingBreakGlass;
  }

  /** Waits for a token of each bucket the call needs, then makes it under the session's discipline. */
  private async call<T>(operation: string, invoke: () => Promise<unknown>, ivrPut = false): Promise<T> {
    return this.guard(async () => {
      if (ivrPut) {
        const put = takeToken(this.ivrPutBucket, this.ivrPutLimits, this.clock.now());
        this.ivrPutBucket = put.state;
        if (put.waitMs > 0) await this.sleep(put.waitMs);
      }
      const granted = takeToken(this.requestBucket, this.requestLimits, this.clock.now());
      this.requestBucket = granted.state;
      if (granted.waitMs > 0) await this.sleep(granted.waitMs);
      this.calls += 1;
      return this.session.call<T>(operation, invoke, this.clock.now() + this.callBudgetMs);
    });
  }

  async listControlRows(datatableId: string): Promise<Map<string, ControlRow>> {
    const rows = new Map<string, ControlRow>();
    for (let page = 1; ; page += 1) {
      const body = obj(
        await this.call(`getFlowsDatatableRows ${datatableId} page ${page}`, () =>
          (this.session.sdk.architect as unknown as ArchitectDr).getFlowsDatatableRows(datatableId, {
            showbrief: false,
            pageSize: ROWS_PAGE,
            pageNumber: page,
          }),
        ),
      );
      for (const row of arr(body.entities)) {
        const key = str(obj(row).key);
        if (key) rows.set(key, obj(row) as ControlRow);
      }
      const pageCount = typeof body.pageCount === 'number' ? body.pageCount : 1;
      if (page >= pageCount || arr(body.entities).length === 0) return rows;
    }
  }

  async readControlRow(datatableId: string, key: string): Promise<ControlRow> {
    return obj(
      await this.call(`getFlowsDatatableRow ${datatableId}/${key}`, () =>
        this.session.sdk.architect.getFlowsDatatableRow(datatableId, key, { showbrief: false }),
      ),
    ) as ControlRow;
  }

  async putControlRow(datatableId: string, key: string, row: ControlRow): Promise<void> {
    await this.call(`putFlowsDatatableRow ${datatableId}/${key}`, () =>
      this.session.sdk.architect.putFlowsDatatableRow(datatableId, key, { body: { ...row, key } }),
    );
  }

  async listIvrs(): Promise<Map<string, BackupIvrFact>> {
    const ivrs = new Map<string, BackupIvrFact>();
    for (let page = 1; ; page += 1) {
      const body = obj(
        await this.call(`getArchitectIvrs page ${page}`, () =>
          (this.session.sdk.architect as unknown as ArchitectDr).getArchitectIvrs({
            pageSize: IVR_PAGE,
            pageNumber: page,
          }),
        ),
      );
      for (const entity of arr(body.entities)) {
        const ivr = ivrFact(entity);
        if (ivr.id) ivrs.set(ivr.id, ivr);
      }
      const pageCount = typeof body.pageCount === 'number' ? body.pageCount : 1;
      if (page >= pageCount || arr(body.entities).length === 0) return ivrs;
    }
  }

  async getIvr(ivrId: string): Promise<BackupIvrFact & { body: Json }> {
    const body = obj(
      await this.call(`getArchitectIvr ${ivrId}`, () => this.session.sdk.architect.getArchitectIvr(ivrId)),
    );
    return { ...ivrFact(body), body };
  }

  async putIvr(ivrId: string, body: Readonly<Json>): Promise<void> {
    try {
      await this.call(
        `putArchitectIvr ${ivrId}`,
        () => this.session.sdk.architect.putArchitectIvr(ivrId, body),
        true,
      );
    } catch (e) {
      if (isGenesysApiError(e) && e.status === 409) throw new DrConflictError(e.message);
      throw e;
    }
  }

  async getFlow(flowId: string): Promise<FlowFact> {
    try {
      const body = obj(
        await this.call(`getFlow ${flowId}`, () => this.session.sdk.architect.getFlow(flowId)),
      );
      const published = str(obj(body.publishedVersion).id);
      return { id: flowId, exists: true, ...(published ? { publishedVersion: published } : {}) };
    } catch (e) {
      if (isGenesysApiError(e) && e.status === 404) return { id: flowId, exists: false };
      throw e;
    }
  }

  async findCallbacks(from: number, to: number): Promise<CallbackFact[]> {
    const out: CallbackFact[] = [];
    const interval = `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
    for (let page = 1; ; page += 1) {
      const body = obj(
        await this.call(`postAnalyticsConversationsDetailsQuery page ${page}`, () =>
          (this.session.sdk.analytics as unknown as AnalyticsDr).postAnalyticsConversationsDetailsQuery({
            interval,
            order: 'asc',
            orderBy: 'conversationStart',
            segmentFilters: [
              { type: 'and', predicates: [{ type: 'dimension', dimension: 'mediaType', value: 'callback' }] },
            ],
            paging: { pageSize: DETAILS_PAGE, pageNumber: page },
          }),
        ),
      );
      const conversations = arr(body.conversations);
      for (const c of conversations) out.push(callbackFact(obj(c)));
      const total = typeof body.totalHits === 'number' ? body.totalHits : 0;
      if (conversations.length === 0 || page * DETAILS_PAGE >= total) return out;
    }
  }

  async createShadowCallback(callback: ShadowCallback): Promise<string> {
    const body = obj(
      await this.call(`postConversationsCallbacks for ${callback.sourceConversationId}`, () =>
        this.conversations.postConversationsCallbacks({
          callbackNumbers: [...callback.callbackNumbers],
          ...(callback.queueId ? { queueId: callback.queueId } : {}),
          ...(callback.callbackUserName ? { callbackUserName: callback.callbackUserName } : {}),
          ...(callback.callbackScheduledTime
            ? { callbackScheduledTime: callback.callbackScheduledTime }
            : {}),
          data: { [SHADOW_SOURCE_KEY]: callback.sourceConversationId },
        }),
      ),
    );
    const id = str(obj(body.conversation).id);
    if (!id)
      throw new GenesysApiError('postConversationsCallbacks: no conversation id in the response', {
        operation: 'postConversationsCallbacks',
        kind: 'invalid-response',
        attempts: 1,
        retryable: false,
      });
    return id;
  }

  async shadowSourceOf(conversationId: string): Promise<string | undefined> {
    const body = obj(
      await this.call(`getConversation ${conversationId}`, () =>
        this.conversations.getConversation(conversationId),
      ),
    );
    for (const p of arr(body.participants)) {
      const source = str(obj(obj(p).attributes)[SHADOW_SOURCE_KEY]);
      if (source) return source;
    }
    return undefined;
  }
}

function callbackFact(c: Json): CallbackFact {
  const sessions = arr(c.participants).flatMap((p) => arr(obj(p).sessions).map(obj));
  const session = sessions.find((s) => s.mediaType === 'callback') ?? {};
  const segment = arr(session.segments)
    .map(obj)
    .find((s) => str(s.queueId));
  const queueId = str(segment?.queueId);
  const callbackUserName = str(session.callbackUserName);
  const callbackScheduledTime = str(session.callbackScheduledTime);
  return {
    conversationId: String(c.conversationId ?? ''),
    createdAt: Date.parse(String(c.conversationStart ?? '')) || 0,
    callbackNumbers: arr(session.callbackNumbers).filter((n): n is string => typeof n === 'string'),
    ...(queueId ? { queueId } : {}),
    ...(callbackUserName ? { callbackUserName } : {}),
    ...(callbackScheduledTime ? { callbackScheduledTime } : {}),
  };
}

/** The two ArchitectApi / AnalyticsApi methods the DR adapter adds to those sdk-modules.d.ts declares. */
interface ArchitectDr {
  getFlowsDatatableRows(
    datatableId: string,
    opts: { showbrief: boolean; pageSize: number; pageNumber: number },
  ): Promise<unknown>;
  getArchitectIvrs(opts: { pageSize: number; pageNumber: number }): Promise<unknown>;
}
interface AnalyticsDr {
  postAnalyticsConversationsDetailsQuery(body: unknown): Promise<unknown>;
}
