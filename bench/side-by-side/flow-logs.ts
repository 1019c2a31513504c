/**
 * VPC flow logs: 100 VPCs (the region's default VPC and 99 more), 50 without a flow log. logwarden's
 * flow-logs guardrail next to Custodian's `set-flow-log` on `flow-logs: enabled: false`.
 */
import {
  CreateFlowLogsCommand,
  CreateVpcCommand,
  DescribeFlowLogsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../controllers/core/aws.js';
import { mapLimit } from '../../controllers/core/concurrency.js';
import { REGION } from './constants.js';
import { type Check, type Job, verdictOf } from './job.js';

const BUCKET = 'central-flow-logs';
// No key prefix: moto rejects an S3 flow-log destination with a prefix.
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const VPCS = 100;
const WITHOUT = 50;

const CUSTODIAN_POLICY = {
  name: 'vpc-flow-logs',
  resource: 'vpc',
  filters: [{ type: 'flow-logs', enabled: false }],
  actions: [{ type: 'set-flow-log', attrs: { TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: BUCKET_ARN } }],
};

/** Flow log ids per VPC, every VPC of the region listed (none: an empty list). */
async function flowLogsByVpc(clients: AwsClients): Promise<Map<string, string[]>> {
  const ec2 = clients.get(EC2Client, REGION);
  const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  const byVpc = new Map(vpcs.map((v) => [v.VpcId as string, [] as string[]]));
  for (const f of (await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []) {
    const ok = f.LogDestination === BUCKET_ARN && f.TrafficType === 'ALL' && f.FlowLogStatus === 'ACTIVE';
    byVpc.get(f.ResourceId as string)?.push(ok ? (f.FlowLogId as string) : `${f.FlowLogId} (not to ${BUCKET_ARN}, ALL)`);
  }
  return byVpc;
}

/** Problems of the state after a run: a fixed VPC has exactly one new flow log, the others the seeded one. */
function differences(after: Map<string, string[]>, seeded: Map<string, string[]>): string[] {
  const problems: string[] = [];
  if (after.size !== seeded.size) problems.push(`${after.size} VPCs, ${seeded.size} seeded`);
  const unfixed = [...seeded].filter(([vpc, logs]) => logs.length === 0 && after.get(vpc)?.length !== 1);
  const touched = [...seeded].filter(([vpc, logs]) => logs.length > 0 && after.get(vpc)?.join() !== logs.join());
  const wrong = [...after.values()].flat().filter((id) => id.includes(' '));
  if (unfixed.length > 0) problems.push(`${unfixed.length} VPCs without exactly one flow log`);
  if (touched.length > 0) problems.push(`${touched.length} compliant VPCs changed`);
  if (wrong.length > 0) problems.push(`${wrong.length} flow logs elsewhere, e.g. ${wrong[0]}`);
  return problems;
}

async function seedVpcs(clients: AwsClients): Promise<Check> {
  await clients.get(S3Client, REGION).send(new CreateBucketCommand({ Bucket: BUCKET }));
  const ec2 = clients.get(EC2Client, REGION);
  const created = await mapLimit(
    Array.from({ length: VPCS - 1 }, (_, i) => i),
    8,
    async (i) => (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i >> 8}.${i & 255}.0/24` }))).Vpc?.VpcId as string,
  );
  // The default VPC and the first 49 created VPCs log; the other 50 do not.
  const all = [...(await flowLogsByVpc(clients)).keys()];
  const logging = all.filter((vpc) => !created.includes(vpc)).concat(created.slice(0, VPCS - WITHOUT - 1));
  await ec2.send(
    new CreateFlowLogsCommand({
      ResourceIds: logging,
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: BUCKET_ARN,
    }),
  );
  const seeded = await flowLogsByVpc(clients);
  return async () =>
    verdictOf(differences(await flowLogsByVpc(clients), seeded), `${WITHOUT} fixed, ${VPCS - WITHOUT} untouched`);
}

export const flowLogsJob: Job = {
  id: 'e',
  title: `VPC flow logs: ${VPCS} VPCs, ${WITHOUT} without (fix)`,
  logwarden: { guardrail: 'flow-logs', section: { mode: 'remediate', destination: { type: 's3', bucketArn: BUCKET_ARN } } },
  custodian: CUSTODIAN_POLICY,
  seed: seedVpcs,
};
