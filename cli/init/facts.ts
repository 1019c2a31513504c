/**
 * What `logwarden init` read from the account: plain data, so the policy that is built from it
 * (cli/init/starter.ts) is a pure function that tests feed directly.
 */

export interface TrailFact {
  name: string;
  homeRegion: string;
  /** The account that owns the trail (from its ARN): an organization trail seen from a member is not ours. */
  ownerAccount: string;
  s3BucketName?: string;
  s3KeyPrefix?: string;
  kmsKeyId?: string;
  isMultiRegionTrail: boolean;
  isOrganizationTrail: boolean;
  logFileValidationEnabled: boolean;
  includeGlobalServiceEvents: boolean;
  isLogging: boolean;
}

/** One flow log, as DescribeFlowLogs reports its destination. */
export type FlowLogFact =
  | { type: 's3'; destination: string; trafficType: string }
  | { type: 'cloud-watch-logs'; logGroupName: string; deliveryRoleArn: string; trafficType: string };

export interface DetectorFact {
  status: string;
  findingPublishingFrequency?: string;
  /** Feature name → ENABLED | DISABLED. */
  features: Record<string, string>;
}

interface DeliveryChannelFact {
  bucketName: string;
  keyPrefix?: string;
  snsTopicArn?: string;
  deliveryFrequency?: string;
}

export interface RecorderFact {
  name: string;
  roleArn: string;
  allSupported: boolean;
  includeGlobalResourceTypes: boolean;
  resourceTypes: string[];
  channel?: DeliveryChannelFact;
}

/** What one region holds. */
export interface RegionFacts {
  region: string;
  /** VPCs other than the region's default VPC. */
  nonDefaultVpcs: number;
  /** Trails whose home region this is (no shadow copies of multi-region trails). */
  trails: TrailFact[];
  flowLogs: FlowLogFact[];
  detector?: DetectorFact;
  /** The customer-managed recorder (service-linked ones are not counted). */
  recorder?: RecorderFact;
}

/** A sampled bucket and its access logging. */
export interface BucketFact {
  name: string;
  region: string;
  /** Absent: access logging is off. */
  logging?: { targetBucket: string; targetPrefix: string; keyFormat: 'simple' | 'EventTime' | 'DeliveryTime' };
}

export interface AccountFacts {
  account: string;
  /** The region the CLI runs in: the governed region when no region is in use. */
  homeRegion: string;
  /** The regions read, in order. */
  regions: RegionFacts[];
  /** Every bucket name (to propose exclusions), and the sample whose logging was read. */
  bucketNames: string[];
  buckets: BucketFact[];
  /** Reads that failed (access denied, service not offered): their facts count as absent. */
  warnings: string[];
}
