// The `cx-surge` CLI: a small dispatcher. Each command lives in bin/cli/<name>.ts and exports
// `run(args: string[]): Promise<number>` (the exit code). Loaded lazily so `cx-surge replay` never pays
// for the emulator, CDK or AWS SDK imports of other commands.
type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  // (commands register here, one line each)
  emulator: { summary: 'run the Genesys Cloud API emulator (curl it)', load: () => import('./cli/emulator') },
  drill: {
    summary: 'drill every tier on local stand-ins (dynalite + emulator)',
    load: () => import('./cli/drill'),
  },
  replay: { summary: 'replay a queue history through the decision core', load: () => import('./cli/replay') },
  status: {
    summary: 'what the controller knows now: queues, tiers, levers, pages',
    load: () => import('./cli/status'),
  },
  override: {
    summary: 'hold a tier on or off by hand: set, clear, list',
    load: () => import('./cli/override'),
  },
  console: {
    summary: 'local web page for supervisors: status and one-click overrides',
    load: () => import('./cli/console'),
  },
  crm: {
    summary: 'CRM screen-pop lookup: lookup one customer, drill the fallback',
    load: () => import('./cli/crm'),
  },
  dr: {
    summary: 'DR switchover: plan, failover, failback, resume, status, readiness, drill',
    load: () => import('./cli/dr'),
  },
  edge: {
    summary: 'edge tiers: set-flag on|off, get-flag (Tier 3); warm, verify (the deployed edge)',
    load: () => import('./cli/edge'),
  },
};

/** The CLI's name on PATH (`npx cx-surge …`): "surge" alone is the surge.sh publisher on npm. */
export const CLI_NAME = 'cx-surge';

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    `usage: ${CLI_NAME} <command> [options]`,
    '',
    'commands:',
    ...lines,
    '',
    `${CLI_NAME} help <command> (or ${CLI_NAME} <command> --help) for its options; ${CLI_NAME} --version`,
  ].join('\n');
}

/** The package's version, read from the package.json next to bin/ (also inside an installed tarball). */
export async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h') {
    console.log(usage());
    return first ? 0 : 2;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    console.log(`${CLI_NAME} ${await packageVersion()}`);
    return 0;
  }
  // `cx-surge help drill` is `cx-surge drill --help`.
  const [name, args] = first === 'help' ? [rest[0], ['--help']] : [first, rest];
  if (name === undefined) {
    console.log(usage());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`${CLI_NAME}: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.run(args);
}
