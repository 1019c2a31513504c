#!/usr/bin/env node
// The `logwarden` command. It runs the built CLI (dist/, `npm run build`; what the npm package ships)
// when it is there and newer than every source file; otherwise (a fresh clone, or sources edited since
// the last build) it runs the TypeScript in cli/ through tsx, which is slower to start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = new URL('../dist/main.js', import.meta.url);

/** The newest modification time of the files the bundle is built from; 0 in the package (no sources). */
function newestSourceTime() {
  let newest = 0;
  for (const dir of ['cli', 'controllers']) {
    if (!existsSync(`${root}${dir}`)) continue;
    for (const file of readdirSync(`${root}${dir}`, { recursive: true })) {
      newest = Math.max(newest, statSync(`${root}${dir}/${file}`).mtimeMs);
    }
  }
  return newest;
}

if (existsSync(built) && statSync(built).mtimeMs >= newestSourceTime()) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
