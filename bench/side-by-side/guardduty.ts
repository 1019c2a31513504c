/**
 * GuardDuty: the region has no detector. logwarden creates one; Cloud Custodian has no action that
 * creates a detector (its `account` resource's `guard-duty` filter only reads), so its policy reports
 * the account and the check says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import type { AwsClients } from '../../controllers/core/aws.js';
import { REGION } from './constants.js';
import { type Job, type RunInfo, type Verdict, verdictOf } from './job.js';

const CUSTODIAN_POLICY = {
  name: 'guardduty-enabled',
  resource: 'account',
  filters: [{ not: [{ type: 'guard-duty', 'Detector.Status': 'ENABLED' }] }],
};

/** How many resources a Custodian policy matched (its resources.json), or null when it wrote none. */
function custodianMatched(outDir: string, policy: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(outDir, policy, 'resources.json'), 'utf8')) as unknown[]).length;
  } catch {
    return null;
  }
}

async function checkDetector(clients: AwsClients, run: RunInfo): Promise<Verdict> {
  const gd = clients.get(GuardDutyClient, REGION);
  const ids = (await gd.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  if (run.tool === 'custodian') {
    const matched = custodianMatched(run.custodianOutDir, CUSTODIAN_POLICY.name);
    const reported = matched === 1 ? 'reported the account without a detector' : `matched ${matched ?? 'nothing'}`;
    return { exact: false, detail: `${reported}; ${ids.length} detector(s) after the run` };
  }
  const problems: string[] = [];
  if (ids.length !== 1) problems.push(`${ids.length} detectors`);
  const [id] = ids;
  const status = id ? (await gd.send(new GetDetectorCommand({ DetectorId: id }))).Status : undefined;
  if (id && status !== 'ENABLED') problems.push(`detector ${status}`);
  return verdictOf(problems, 'one enabled detector created');
}

export const guardDutyJob: Job = {
  id: 'g',
  title: 'GuardDuty: no detector (fix; Custodian: detect)',
  logwarden: { guardrail: 'guardduty', section: { mode: 'remediate' } },
  custodian: CUSTODIAN_POLICY,
  custodianDetectOnly: true,
  // Nothing to seed: a fresh emulator has no detector.
  seed: async (clients) => (run) => checkDetector(clients, run),
};
