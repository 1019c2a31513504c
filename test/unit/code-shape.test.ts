/**
 * Code shape of the controllers and the infrastructure: no function longer than 60 lines (short,
 * named steps are what a reviewer can check). Measured with the TypeScript parser, from the first
 * to the last line of each function, arrow function and method with a body.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MAX_LINES = 60;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

function longFunctions(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > MAX_LINES) found.push(`${relative(ROOT, join(ROOT, file))}:${first + 1} is ${lines} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('code shape', () => {
  it(`no function over ${MAX_LINES} lines in controllers/ or infra/`, () => {
    const files = [...sourceFiles('controllers'), ...sourceFiles('infra')];
    expect(files.length).toBeGreaterThan(30);
    expect(files.flatMap(longFunctions)).toEqual([]);
  });
});
