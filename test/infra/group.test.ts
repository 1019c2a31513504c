import { App, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Group, GroupedStack } from '../../infra/group.js';

class Pair extends Group {
  readonly queue: Queue;
  constructor(scope: Construct, id: string, queueId: string) {
    super(scope, id);
    this.queue = new Queue(this, queueId);
  }
}
class Grouped extends GroupedStack {}

const logicalIdOf = (q: Queue) => Stack.of(q).getLogicalId(q.node.defaultChild as never);

describe('groups keep logical ids', () => {
  it('a resource in (nested) groups gets the logical id it would have directly in the stack', () => {
    const app = new App();
    const plain = new Stack(app, 'Plain');
    const direct = new Queue(plain, 'cloudtrail-Dlq');
    const grouped = new Grouped(app, 'Grouped');
    const nested = new Pair(new Pair(grouped, 'Outer', 'Other'), 'cloudtrail', 'cloudtrail-Dlq');
    expect(logicalIdOf(nested.queue)).toBe(logicalIdOf(direct));
    expect(logicalIdOf(nested.queue)).toMatch(/^cloudtrailDlq[0-9A-F]{8}$/);
    // Outside a GroupedStack the group is an ordinary scope.
    const ordinary = new Pair(new Stack(app, 'Ordinary'), 'cloudtrail', 'cloudtrail-Dlq');
    expect(logicalIdOf(ordinary.queue)).not.toBe(logicalIdOf(direct));
  });

  it('two groups holding the same id fail the synthesis instead of merging', () => {
    const app = new App();
    const stack = new Grouped(app, 'Grouped');
    new Pair(stack, 'A', 'Dlq');
    new Pair(stack, 'B', 'Dlq');
    expect(() => app.synth()).toThrow(/already contains/);
  });
});
