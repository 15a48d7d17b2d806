import { measureTick } from './tick';

for (const n of (process.argv[2] ?? '100').split(',').map(Number))
  console.log(JSON.stringify(await measureTick(n)));
