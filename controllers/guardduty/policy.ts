import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

/** The protection plans (detector features) a detector can switch on or off through UpdateDetector. */
export const FEATURES = [
  'S3_DATA_EVENTS',
  'EKS_AUDIT_LOGS',
  'EBS_MALWARE_PROTECTION',
  'RDS_LOGIN_EVENTS',
  'EKS_RUNTIME_MONITORING',
  'LAMBDA_NETWORK_LOGS',
  'RUNTIME_MONITORING',
] as const;
export type FeatureName = (typeof FEATURES)[number];
export type FeatureStatus = 'ENABLED' | 'DISABLED';

const FREQUENCIES = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** What logwarden does about a finding-suppression change: report it (default) or undo it. */
const findingResponse = z.enum(['notify', 'remediate']).default('notify');

export const guardDutyPolicySchema = z
  .object({
    mode: modeSchema,
    /** Regions where a detector must exist. Absent: every region the controller governs. */
    regions: z.array(region).min(1).optional(),
    /** Finding publishing frequency. Absent: not governed (a new detector gets the AWS default, SIX_HOURS). */
    findingPublishingFrequency: z.enum(FREQUENCIES).optional(),
    /**
     * Protection plans, by feature name. Only the features named here are governed; the others are
     * never touched. Default: none (only "one enabled detector" is governed).
     */
    features: z.partialRecord(z.enum(FEATURES), z.enum(['ENABLED', 'DISABLED'])).default({}),
    /** A trusted-IP list activated (CreateIPSet / UpdateIPSet with activate): report, or deactivate it. */
    trustedIpSets: findingResponse,
    /** A filter with action ARCHIVE (auto-archiving findings): report, or delete the filter. */
    archiveFilters: findingResponse,
    /**
     * The GuardDuty administrator (delegated administrator) this account must stay a member of.
     * When set, the sweep also checks the membership. Leaving it out keeps membership checks to
     * disassociation events.
     */
    administratorAccountId: accountId.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.features.EKS_RUNTIME_MONITORING === 'ENABLED' && p.features.RUNTIME_MONITORING === 'ENABLED') {
      ctx.addIssue({
        code: 'custom',
        path: ['features', 'EKS_RUNTIME_MONITORING'],
        message:
          'enable RUNTIME_MONITORING or EKS_RUNTIME_MONITORING, not both (GuardDuty rejects the pair; RUNTIME_MONITORING covers EKS)',
      });
    }
    if (p.regions && new Set(p.regions).size !== p.regions.length) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'duplicate region' });
    }
  });

export type GuardDutyPolicy = z.infer<typeof guardDutyPolicySchema>;
