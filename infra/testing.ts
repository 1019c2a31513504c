import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from '../controllers/companions.js';
import { buildApp, type LogwardenApp } from './app.js';
import { ROOT } from './config.js';

/** The deployment config of cdk.json (the example organization), for tests. */
export function exampleConfig(): Record<string, unknown> {
  const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: { logwarden: Record<string, unknown> } };
  return structuredClone(cdk.context.logwarden);
}

/** Build and synthesize the whole app into a fresh directory. */
export async function synthExample(
  options: { nag?: boolean; config?: unknown; registry?: Registry } = {},
): Promise<LogwardenApp & { outdir: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'logwarden-cdk-'));
  const built = await buildApp({
    outdir,
    config: options.config ?? exampleConfig(),
    nag: options.nag ?? false,
    registry: options.registry,
  });
  built.app.synth();
  return { ...built, outdir };
}

/** A synthesized template, parsed. */
export function readTemplate(
  path: string,
): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } & Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8'));
}
