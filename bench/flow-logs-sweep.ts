/**
 * Sweep figures for the flow-logs guardrail on the emulator.
 *
 *   npx tsx bench/flow-logs-sweep.ts [vpcs=1000]
 *
 * Starts the emulator, creates N VPCs without flow logs (the region's default VPC comes on top),
 * then runs two sweeps through the controller with a call recorder: the first gives every VPC a
 * flow log, the second finds them all compliant (the steady state of the hourly sweep). Prints
 * JSON on stdout: {resources, seconds, apiCalls, callsByAction} of the steady-state sweep, and the
 * same figures for the remediating sweep under `remediationSweep`. Progress goes to stderr.
 *
 * Emulator note: moto 5.2.5 does not paginate DescribeVpcs or DescribeFlowLogs, so each listing is
 * one call here whatever N; on AWS each is ceil(n / 1000) pages (see the unit test of the sweep).
 */

import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator } from '../cli/emulator.js';
import { AwsClients } from '../controllers/core/aws.js';
import { mapLimit } from '../controllers/core/concurrency.js';
import { Controller } from '../controllers/core/controller.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { createLogger } from '../controllers/core/log.js';
import { parsePolicy } from '../controllers/core/policy.js';
import type { AuditRecord } from '../controllers/core/record.js';
import { flowLogs } from '../controllers/flow-logs/index.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  if (!Number.isInteger(n) || n < 1 || n > 65_000) {
    process.stderr.write('usage: npx tsx bench/flow-logs-sweep.ts [vpcs (1..65000), default 1000]\n');
    process.exitCode = 2;
    return;
  }
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  const emulator = await startEmulator();
  try {
    const plain = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    await plain.get(S3Client, REGION).send(new CreateBucketCommand({ Bucket: 'central-flow-logs' }));
    const ec2 = plain.get(EC2Client, REGION);
    process.stderr.write(`creating ${n} VPCs on the emulator...\n`);
    await mapLimit(
      Array.from({ length: n }, (_, i) => i),
      8,
      async (i) => {
        await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i >> 8}.${i & 255}.0/24` }));
      },
    );

    const calls: string[] = [];
    const clients = new AwsClients({
      endpoint: emulator.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      recorder: ({ action }) => calls.push(action),
    });
    const policy = parsePolicy(
      {
        version: 1,
        controller: { regions: [REGION], ownRoleArns: [ownRoleArnTemplate('flow-logs')] },
        audit: { eventBus: 'logwarden-audit' },
        guardrails: {
          'flow-logs': { mode: 'remediate', destination: { type: 's3', bucketArn: 'arn:aws:s3:::central-flow-logs' } },
        },
      },
      [flowLogs],
    );
    const controller = new Controller({
      guardrails: [flowLogs],
      policy,
      account: ACCOUNT,
      clients,
      logger: createLogger('bench'),
    });

    const sweep = async (label: string) => {
      calls.length = 0;
      process.stderr.write(`${label} sweep...\n`);
      const started = process.hrtime.bigint();
      const records: AuditRecord[] = await controller.sweep({
        trigger: { type: 'sweep', eventId: null, eventName: 'ScheduledSweep', actor: 'bench' },
        guardrails: ['flow-logs'],
        regions: [REGION],
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const callsByAction: Record<string, number> = {};
      for (const c of calls) callsByAction[c] = (callsByAction[c] ?? 0) + 1;
      const outcomes: Record<string, number> = {};
      for (const r of records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      return {
        resources: records.length,
        seconds: Math.round(seconds * 1000) / 1000,
        apiCalls: calls.length,
        callsByAction,
        outcomes,
      };
    };

    const remediationSweep = await sweep('remediating');
    const steady = await sweep('steady-state');
    process.stdout.write(`${JSON.stringify({ ...steady, remediationSweep }, null, 2)}\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
