import { z } from 'zod';
import { modeSchema } from '../core/policy.js';

/** The control-plane log types EKS can export to CloudWatch Logs, as the API spells them. */
export const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;
export type LogType = (typeof LOG_TYPES)[number];

/** What an investigation needs first: API requests, the audit trail, and who authenticated. */
export const DEFAULT_LOG_TYPES: LogType[] = ['api', 'audit', 'authenticator'];

export const eksControlPlaneLogsPolicySchema = z
  .object({
    mode: modeSchema,
    /** The log types every cluster must export. Types not listed are left as they are (never disabled). */
    logTypes: z
      .array(z.enum(LOG_TYPES))
      .min(1, 'must name at least one log type')
      .default(DEFAULT_LOG_TYPES)
      .superRefine((types, ctx) => {
        types.forEach((t, i) => {
          if (types.indexOf(t) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate log type ${t}` });
        });
      }),
  })
  .strict();

export type EksControlPlaneLogsPolicy = z.infer<typeof eksControlPlaneLogsPolicySchema>;
