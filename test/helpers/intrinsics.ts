/**
 * Resolve the CloudFormation intrinsics a synthesized policy holds (`Ref` of pseudo parameters,
 * `Fn::GetAtt`, `Fn::Join`) to concrete values, so tests can evaluate the policy as AWS would see it.
 * Anything else throws: a test never passes on a value it could not resolve.
 */
export interface IntrinsicValues {
  /** `AWS::Partition`, `AWS::Region`, `AWS::AccountId`… and logical ids, by `Ref` name. */
  refs: Record<string, string>;
  /** `<logicalId>.<attribute>` → value. */
  attributes?: Record<string, string>;
}

class UnresolvedIntrinsicError extends Error {}

export function resolveIntrinsics(value: unknown, values: IntrinsicValues): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, values));
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return lookup(values.refs, arg as string, 'Ref');
  if (entries.length === 1 && key === 'Fn::GetAtt') {
    return lookup(values.attributes ?? {}, (arg as string[]).join('.'), 'Fn::GetAtt');
  }
  if (entries.length === 1 && key === 'Fn::Join') {
    const [separator, parts] = arg as [string, unknown[]];
    return (resolveIntrinsics(parts, values) as string[]).join(separator);
  }
  if (entries.length === 1 && key?.startsWith('Fn::')) throw new UnresolvedIntrinsicError(key);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, values)]));
}

function lookup(table: Record<string, string>, name: string, intrinsic: string): string {
  const found = table[name];
  if (found === undefined) throw new UnresolvedIntrinsicError(`${intrinsic} ${name}`);
  return found;
}
