/**
 * The fewest API calls each demo scenario needs, written down by hand with a one-line
 * justification, next to which `npm run bench` puts the calls logwarden makes. "Needs" means: learn
 * that the resource drifted (a read, since the event is never trusted for state), make the writes
 * that fix it, and prove the fix (a read). Calls an implementation needs for its own safety
 * (exemption tags, ownership, the full state for a level-based diff) are not in the minimum: the
 * difference is the price of those guarantees, and the bench shows it.
 */
export interface Minimum {
  calls: number;
  why: string;
}

export const MINIMUMS: Record<string, Minimum> = {
  'CloudTrail: StopLogging on the trail (named by its ARN)': {
    calls: 3,
    why: 'GetTrailStatus (is it logging?), StartLogging, GetTrailStatus (verify).',
  },
  'CloudTrail: UpdateTrail turns off multi-region and log file validation, moves the bucket': {
    calls: 3,
    why: 'GetTrail (settings), one UpdateTrail restoring every field, GetTrail (verify).',
  },
  'CloudTrail: PutEventSelectors narrows the trail to read-only, no management events': {
    calls: 3,
    why: 'GetEventSelectors, PutEventSelectors, GetEventSelectors (verify).',
  },
  'CloudTrail: DeleteTrail': {
    calls: 6,
    why: 'GetTrail (missing), CreateTrail, PutEventSelectors, StartLogging, GetTrail + GetTrailStatus (verify).',
  },
  "CloudTrail: logwarden's own StartLogging/UpdateTrail echoed back (no loop)": {
    calls: 0,
    why: 'Its own call: recognised from the event alone, nothing to read or write.',
  },
  'Flow logs: DeleteFlowLogs on the prod VPC (defence evasion)': {
    calls: 4,
    why: 'DescribeFlowLogs (which VPC lost its flow log, and what remains), CreateFlowLogs, DescribeFlowLogs (verify), plus DescribeVpcs to know the VPC still exists.',
  },
  'Flow logs: one DeleteFlowLogs call removes the flow logs of two VPCs': {
    calls: 7,
    why: 'DescribeFlowLogs + DescribeVpcs (both VPCs), CreateFlowLogs × 2, DescribeFlowLogs × 2 (verify), one more DescribeFlowLogs to map the ids.',
  },
  'Flow logs: the ALL flow log is swapped for a REJECT-only one (kept; a compliant one is added)': {
    calls: 4,
    why: 'As a deleted flow log: DescribeFlowLogs, DescribeVpcs, CreateFlowLogs, DescribeFlowLogs (verify).',
  },
  'Flow logs: a new VPC is born without a flow log (CreateVpc)': {
    calls: 3,
    why: 'DescribeFlowLogs (none on the VPC named by the event), CreateFlowLogs, DescribeFlowLogs (verify).',
  },
  'Flow logs: a CreateVpc call that failed (VpcLimitExceeded) changes nothing': {
    calls: 0,
    why: 'The event carries errorCode: nothing changed, nothing to read.',
  },
  'S3: server access logging switched off (PutBucketLogging with an empty BucketLoggingStatus)': {
    calls: 3,
    why: 'GetBucketLogging, PutBucketLogging, GetBucketLogging (verify).',
  },
  'S3: a new bucket is born without server access logging (CreateBucket)': {
    calls: 4,
    why: 'GetBucketLocation (the bucket is in this region), GetBucketLogging, PutBucketLogging, GetBucketLogging (verify).',
  },
  'GuardDuty: DeleteDetector': {
    calls: 3,
    why: 'ListDetectors (none left), CreateDetector with the plans, GetDetector (verify).',
  },
  'GuardDuty: UpdateDetector suspends the detector (enable: false)': {
    calls: 3,
    why: 'GetDetector, UpdateDetector, GetDetector (verify).',
  },
  'GuardDuty: UpdateDetector switches Runtime Monitoring off, publishing to six hours (moto then drops the other plans; AWS keeps them)':
    {
      calls: 3,
      why: 'GetDetector, UpdateDetector (frequency and plans in one call), GetDetector (verify).',
    },
  'GuardDuty: CreateFilter auto-archives every finding below high severity (reported for the security team)': {
    calls: 1,
    why: 'GetFilter to report what it suppresses; no write (report-only by design).',
  },
};
