/**
 * A CloudWatch Logs metric filter evaluator for exactly the JSON patterns logwarden synthesizes:
 * `{ $.a.b = "x" }` and conjunctions `{ ($.a = "x") && ($.b = "y") }` of string (in)equalities, with
 * AWS's documented semantics ("Filter pattern syntax for metric filters", JSON log events): the
 * selector is a path into the JSON event, `=` holds when the field is that exact string, `!=` when it
 * is present and another value; a line that is not a JSON object matches no JSON pattern. Anything
 * else (wildcards, `||`, numbers, IS NULL) throws: a test must never pass on syntax this does not know.
 */

export class UnsupportedFilterPatternError extends Error {}

interface Term {
  path: string[];
  op: '=' | '!=';
  value: string;
}

const TERM = /^\$\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*(=|!=)\s*"([^"*]*)"$/;

function parsePattern(pattern: string): Term[] {
  const body = /^\{\s*(.*?)\s*\}$/.exec(pattern.trim())?.[1];
  if (body === undefined || body.includes('||')) throw new UnsupportedFilterPatternError(pattern);
  return body.split('&&').map((raw) => {
    let term = raw.trim();
    if (term.startsWith('(') && term.endsWith(')')) term = term.slice(1, -1).trim();
    const m = TERM.exec(term);
    if (!m) throw new UnsupportedFilterPatternError(`${pattern}: ${term}`);
    return { path: (m[1] as string).split('.'), op: m[2] as Term['op'], value: m[3] as string };
  });
}

function fieldOf(event: unknown, path: readonly string[]): unknown {
  let at = event;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether a log line matches a metric filter's JSON pattern. */
export function matchesFilter(pattern: string, line: string): boolean {
  const terms = parsePattern(pattern);
  const event = parseLine(line);
  if (!event) return false;
  return terms.every((t) => {
    const field = fieldOf(event, t.path);
    return t.op === '=' ? field === t.value : field !== undefined && field !== t.value;
  });
}

/**
 * The dimension values a metric filter publishes for a matching line (`$.path` selectors), or null
 * when a selected field is absent or not a string (CloudWatch then publishes no datapoint).
 */
export function dimensionsOf(dimensions: Record<string, string>, line: string): Record<string, string> | null {
  const event = parseLine(line);
  const out: Record<string, string> = {};
  for (const [name, selector] of Object.entries(dimensions)) {
    const m = /^\$\.([A-Za-z0-9_.]+)$/.exec(selector);
    if (!m) throw new UnsupportedFilterPatternError(selector);
    const value = fieldOf(event, (m[1] as string).split('.'));
    if (typeof value !== 'string') return null;
    out[name] = value;
  }
  return out;
}
