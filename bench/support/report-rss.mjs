// Preloaded into a benchmarked CLI process (`node --import`): prints its peak resident set size and
// CPU time on stderr as it exits, so the bench needs no external tool to read them.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(
    `\nbench-usage maxrss_kb=${u.maxRSS} cpu_ms=${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}\n`,
  );
});
