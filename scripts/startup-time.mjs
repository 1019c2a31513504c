// Start-up time of the logwarden command: the median wall time of N runs of `node bin/logwarden.mjs ARGS`.
// Usage: node scripts/startup-time.mjs [--runs N] [--root DIR] -- ARGS...   (any exit code counts; run from the repository)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, root: { type: 'string', default: '.' } },
  allowPositionals: true,
});

const times = [];
for (let run = 0; run < Number(values.runs); run++) {
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, [join(values.root, 'bin', 'logwarden.mjs'), ...positionals], { stdio: 'ignore' });
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const middle = Math.floor(times.length / 2);
const median = times.length % 2 === 1 ? times[middle] : ((times[middle - 1] ?? 0) + (times[middle] ?? 0)) / 2;
const ms = (n) => `${Math.round(n ?? 0)} ms`;
console.log(
  `logwarden ${positionals.join(' ')}: median ${ms(median)} (min ${ms(times[0])}, max ${ms(times.at(-1))}, ${times.length} runs)`,
);
