import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyGuardrail } from './core/types.js';
import { guardrails as registered } from './registry.js';

/**
 * The parts of a guardrail folder that are not in its Lambda bundle: `demo.ts` (exports `demo`, the
 * demo scenarios: required) and `infra.ts` (exports `infra`, guardrail-specific infrastructure:
 * optional). They are found by the folder convention `<folder>/<part>.ts`, so a guardrail is named
 * only once, in `registry.ts`.
 */
export type CompanionPart = 'demo' | 'infra';

/** The guardrails and where their folders are. Tests pass their own (with a fixture guardrail). */
export interface Registry {
  guardrails: readonly AnyGuardrail[];
  /** Absolute path of a guardrail's folder (holding `index.ts`, `demo.ts`, optionally `infra.ts`). */
  folder(guardrail: string): string;
}

const CONTROLLERS = dirname(fileURLToPath(import.meta.url));

/** `controllers/<name>`: the folder convention of the real registry. */
export function controllersFolder(guardrail: string): string {
  if (!/^[a-z0-9-]+$/.test(guardrail)) throw new Error(`bad guardrail name ${JSON.stringify(guardrail)}`);
  return join(CONTROLLERS, guardrail);
}

/** The real registry: `registry.ts`'s list, each in `controllers/<name>/`. */
export const registry: Registry = { guardrails: registered, folder: controllersFolder };

/** One part of one guardrail's folder, or `null` when the folder has no such file. */
export async function loadCompanion(
  reg: Registry,
  guardrail: string,
  part: CompanionPart,
): Promise<Record<string, unknown> | null> {
  const file = join(reg.folder(guardrail), `${part}.ts`);
  if (!existsSync(file)) return null;
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
