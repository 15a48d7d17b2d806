// The DR drill's stand-ins (docs/dr.md "Drill"): two emulated Genesys orgs (primary and backup) on
// 127.0.0.1, dynalite for the state table, a recording pager over the real outbox, all on one
// simulated clock. Tests use them too.
import { createDynamoPersistence, DynamoBreakerStore, OutboxPager } from '../lambdas/adapters/dynamodb';
import { DynamoDrRunStore } from '../lambdas/adapters/dynamodb/dr-run-store';
import { stateTable } from '../lambdas/adapters/dynamodb/items';
import { breakGlassOnly, GenesysDrOrg } from '../lambdas/adapters/genesys/dr-org';
import { LocalOutboxPager } from '../lambdas/adapters/local';
import { SharedBreakers } from '../lambdas/app/breaker';
import type { DrDeps } from '../lambdas/app/dr-switchover';
import { type DrConfig, type DrConfigInput, drDids, parseDrConfig } from '../lambdas/core/dr-config';
import { DrStatus } from '../lambdas/core/dr-plan';
import { BACKUP_BREAKER } from '../lambdas/core/dr-ports';
import type { ClientCredentials, CredentialsSource, Page } from '../lambdas/core/ports';
import { DEFAULT_EMULATOR_CLIENTS, type GenesysEmulator, startGenesysEmulator } from './genesys-emulator';
import { type LocalDynamo, startLocalDynamo } from './local-dynamo';
import type { SimulatedClock } from './simulated-clock';
import { RecordingTransport } from './stand-ins';

/** The backup org's callback queue in drills (mapped to the primary's). */
export const DRILL_BACKUP_QUEUE = 'backup-callbacks';
export const DRILL_PRIMARY_QUEUE = 'primary-callbacks';

/** A DR config for `dids` DIDs spread over `ivrs` backup IVRs (each with its own emergency flow). */
export function drillDrConfig(options: { dids: number; ivrs: number }): DrConfig {
  const { dids, ivrs } = options;
  if (!(Number.isInteger(dids) && dids >= 1 && dids <= 100_000))
    throw new RangeError('dids must be 1–100000');
  if (!(Number.isInteger(ivrs) && ivrs >= 1 && ivrs <= dids)) throw new RangeError('ivrs must be 1–dids');
  const all = Array.from({ length: dids }, (_, i) => `+1317555${String(i).padStart(4, '0')}`);
  const per = Math.ceil(dids / ivrs);
  const input: DrConfigInput = {
    primary: {
      region: 'us_east_1',
      credentialsSecret: 'drill/primary',
      breakGlassSecret: 'drill/primary-bg',
    },
    backup: { region: 'us_west_2', credentialsSecret: 'drill/backup', breakGlassSecret: 'drill/backup-bg' },
    controlTable: { datatableId: 'DR_Control' },
    backupIvrs: Array.from({ length: ivrs }, (_, i) => ({
      id: `dr-ivr-${String(i + 1).padStart(2, '0')}`,
      emergencyFlowId: `dr-emergency-${String(i + 1).padStart(2, '0')}`,
      dids: all.slice(i * per, (i + 1) * per),
    })).filter((g) => g.dids.length > 0),
    callbacks: { queueMap: { [DRILL_BACKUP_QUEUE]: DRILL_PRIMARY_QUEUE } },
  };
  return parseDrConfig(input);
}

/** Seeds both orgs as a healthy DR setup: every DID has a NORMAL row, every IVR and published flow exists. */
export function seedDrOrgs(primary: GenesysEmulator, backup: GenesysEmulator, config: DrConfig): void {
  const t = config.controlTable;
  primary.seedDatatable({
    id: t.datatableId,
    name: t.datatableId,
    fields: { [t.statusField]: 'string', [t.targetField]: 'string' },
    rows: [
      { key: t.allRowKey, [t.statusField]: DrStatus.normal, [t.targetField]: 'backup-org' },
      ...drDids(config).map(({ did, ivr }) => ({
        key: did,
        [t.statusField]: DrStatus.normal,
        [t.targetField]: `backup:${ivr.id}`,
      })),
    ],
  });
  for (const ivr of config.backupIvrs) {
    backup.seedFlow({
      id: ivr.emergencyFlowId,
      name: `${ivr.id} emergency`,
      versions: ['1'],
      publishedVersion: '1',
    });
    backup.seedIvr({
      id: ivr.id,
      name: `DR ${ivr.id}`,
      dnis: [],
      openHoursFlow: { id: ivr.emergencyFlowId },
      closedHoursFlow: { id: ivr.emergencyFlowId },
    });
  }
}

export interface DrStandIns {
  readonly dynamo: LocalDynamo;
  readonly primary: GenesysEmulator;
  readonly backup: GenesysEmulator;
  readonly transport: RecordingTransport;
  readonly config: DrConfig;
  /** Fresh deps (new sessions, as a new process would have) over the same stand-ins. */
  deps(overrides?: Partial<DrDeps> & { backupCredentials?: CredentialsSource }): DrDeps;
  pages(): Page[];
  stop(): Promise<void>;
}

const emulatorCredentials = (): CredentialsSource => {
  const clients: Record<'primary' | 'breakGlass', ClientCredentials> = DEFAULT_EMULATOR_CLIENTS;
  return { get: async (which) => clients[which] };
};

export async function startDrStandIns(options: {
  clock: SimulatedClock;
  config: DrConfig;
  seed?: boolean;
}): Promise<DrStandIns> {
  const { clock, config } = options;
  const dynamo = await startLocalDynamo();
  const limits = {
    clock,
    rateLimitPerMinute: config.rateLimits.requestsPerMinute,
    ivrPutsPerMinute: config.rateLimits.ivrPutsPerMinute,
  };
  const primary = await startGenesysEmulator(limits);
  const backup = await startGenesysEmulator(limits);
  if (options.seed ?? true) seedDrOrgs(primary, backup, config);
  const persistence = createDynamoPersistence({ client: dynamo.client, tableName: dynamo.tableName, clock });
  const transport = new RecordingTransport(new LocalOutboxPager({}));
  const pager = new OutboxPager(persistence.outbox, transport, clock);
  const table = stateTable({ client: dynamo.client, tableName: dynamo.tableName, clock });
  let runs = 0;
  return {
    dynamo,
    primary,
    backup,
    transport,
    config,
    deps: (overrides = {}) => {
      const { backupCredentials, ...rest } = overrides;
      // A new process's breaker view, over the shared breaker state in the table.
      const breakers = new SharedBreakers({
        store: new DynamoBreakerStore(table),
        clock,
        pages: pager,
        log: { info: () => {}, warn: () => {}, error: () => {} },
        owner: () => 'drill',
        random: () => 0.5,
      });
      const org = (url: string, credentials: CredentialsSource, guarded = false) =>
        new GenesysDrOrg({
          ...(guarded ? { guard: <T>(call: () => Promise<T>) => breakers.run(BACKUP_BREAKER, call) } : {}),
          credentials,
          clock,
          gateway: url,
          sleep: clock.sleep,
          random: () => 0.5,
          requestsPerMinute: config.rateLimits.requestsPerMinute,
          ivrPutsPerMinute: config.rateLimits.ivrPutsPerMinute,
          burst: config.rateLimits.burst,
        });
      return {
        config,
        primary: org(primary.url, emulatorCredentials()),
        backup: org(backup.url, breakGlassOnly(backupCredentials ?? emulatorCredentials()), true),
        store: new DynamoDrRunStore(table),
        pager,
        clock,
        sleep: clock.sleep,
        owner: 'drill',
        newRunId: () => `dr-run-${++runs}`,
        ...rest,
      };
    },
    pages: () => [...transport.delivered],
    stop: async () => {
      await Promise.all([primary.close(), backup.close()]);
      await dynamo.stop();
    },
  };
}
