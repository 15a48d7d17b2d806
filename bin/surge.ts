// The `surge` CLI: a small dispatcher. Each command lives in bin/cli/<name>.ts and exports
// `run(args: string[]): Promise<number>` (the exit code). Loaded lazily so `surge replay` never pays
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
  crm: {
    summary: 'CRM screen-pop lookup: lookup one customer, drill the fallback',
    load: () => import('./cli/crm'),
  },
  edge: {
    summary: 'Tier 3 widget-throttle flag by hand: set-flag on|off, get-flag',
    load: () => import('./cli/edge'),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: surge <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'surge <command> --help for options',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`surge: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.run(rest);
}
