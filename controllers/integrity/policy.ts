import { z } from 'zod';
import { modeSchema } from '../core/policy.js';
import { manifestSchema } from './manifest.js';

export const integrityPolicySchema = z
  .object({
    mode: modeSchema,
    /**
     * The deployment manifest itself, for the CLI, the demo and tests. Absent (a deployment): the
     * controller reads `deployment.json` next to its code, which the infrastructure writes at synth time.
     */
    manifest: manifestSchema.optional(),
  })
  .strict();

export type IntegrityPolicy = z.infer<typeof integrityPolicySchema>;
