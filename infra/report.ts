import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { synthExample } from './testing.js';

// Sizes for the deployment guide: `npx tsx infra/report.ts` (synthesizes the example app offline).
const built = await synthExample({ nag: false });
const rows: string[] = ['| template | bytes | resources |', '| --- | ---: | ---: |'];
const templates: [string, string][] = [
  ['StackSet member template', built.templateFile],
  ...[built.central, built.rollout, ...built.assetBuckets, ...built.management].map(
    (s) => [s.stackName, join(built.outdir, s.templateFile)] as [string, string],
  ),
];
for (const [name, file] of templates) {
  const t = JSON.parse(readFileSync(file, 'utf8')) as { Resources: object };
  rows.push(`| ${name} | ${statSync(file).size} | ${Object.keys(t.Resources).length} |`);
}
rows.push('', '| function | bundle bytes | gzip bytes |', '| --- | ---: | ---: |');
for (const f of built.template.functions) rows.push(`| ${f.functionName} | ${f.bundle.bytes} | ${f.bundle.gzipBytes} |`);
process.stdout.write(`${rows.join('\n')}\n`);
