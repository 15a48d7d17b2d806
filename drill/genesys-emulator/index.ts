// The Genesys Cloud API emulator: public surface for tests, the drill and `cx-surge emulator`.
export { DEMO_ORG, seedDemoOrg } from './demo';
export type { CallbackInput, EmulatedCallback } from './dr';
export {
  DEFAULT_EMULATOR_CLIENTS,
  type GenesysEmulator,
  type GenesysEmulatorOptions,
  type MutationRecord,
  type RequestRecord,
  SURGE_CONTROL_TABLE,
  startGenesysEmulator,
} from './emulator';
export { type CallMatcher, type Fault, FaultPlan, type HttpMethod } from './faults';
export { ErrorCode, type GenesysErrorBody } from './http';
export { defaultMediaSplit, type EmulatedObservation, MEDIA_TYPES } from './observations';
export type {
  DatatableRow,
  DatatableSeed,
  EmergencyCallFlow,
  EmergencyGroup,
  EmergencyGroupSeed,
  EntityRef,
  FieldType,
  Flow,
  FlowSeed,
  Ivr,
  IvrSeed,
  Operation,
} from './org';
