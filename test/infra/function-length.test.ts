import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/config.js';

const MAX_LINES = 60;

/** The infrastructure code: `infra/*.ts` and the guardrails' `infra.ts` hooks. */
function infraFiles(): string[] {
  const infra = readdirSync(join(ROOT, 'infra'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, 'infra', f));
  const hooks = readdirSync(join(ROOT, 'controllers'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(ROOT, 'controllers', d.name)).includes('infra.ts'))
    .map((d) => join(ROOT, 'controllers', d.name, 'infra.ts'));
  return [...infra, ...hooks];
}

/** Every function, method, constructor and arrow function longer than `max` lines, as `file:line name (n lines)`. */
function longFunctions(file: string, max: number): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name ? node.name.getText(source) : ts.isConstructorDeclaration(node) ? 'constructor' : '(anonymous)';
      if (end - start + 1 > max) out.push(`${relative(ROOT, file)}:${start + 1} ${name} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('infrastructure code style', () => {
  it(`has no function over ${MAX_LINES} lines in infra/ or a guardrail's infra.ts`, () => {
    const files = infraFiles();
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((f) => longFunctions(f, MAX_LINES))).toEqual([]);
  });

  it('the measure finds a long function (the check above can fail)', () => {
    expect(longFunctions(join(ROOT, 'infra', 'member-stack.ts'), 5).length).toBeGreaterThan(0);
  });
});
