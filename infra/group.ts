import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * A construct that groups resources without renaming them. CDK derives a resource's logical id from
 * its construct path, and a new logical id for a named resource (a function, a queue, a bucket) makes
 * CloudFormation create the replacement before deleting the original: the name collides and the
 * stack update fails. So a group's id is left out of the logical ids of what it holds (see
 * `GroupedStack`): its resources keep the ids they had in the stack itself, and their own ids must
 * be unique in the whole stack (CDK refuses to synthesize two resources with one logical id).
 */
export abstract class Group extends Construct {}

/** A stack whose logical ids are CDK's own, computed on the construct path without its groups. */
export abstract class GroupedStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes.filter((s) => !(s instanceof Group));
    // Stack.allocateLogicalId reads only the element's stack and the scopes of its node.
    return super.allocateLogicalId({ stack: this, node: { scopes } } as unknown as CfnElement);
  }
}
