import { bucketLogging } from './bucket-logging/index.js';
import { cloudtrail } from './cloudtrail/index.js';
import { configRecorder } from './config-recorder/index.js';
import type { AnyGuardrail } from './core/types.js';
import { eksControlPlaneLogs } from './eks-control-plane-logs/index.js';
import { flowLogs } from './flow-logs/index.js';
import { guardduty } from './guardduty/index.js';
import { integrity } from './integrity/index.js';
import { loadBalancerLogs } from './load-balancer-logs/index.js';
import { logBucketRetention } from './log-bucket-retention/index.js';
import { resolverQueryLogs } from './resolver-query-logs/index.js';

/**
 * Every guardrail, in one explicit typed list: the only place a guardrail is named. Its folder
 * (`controllers/<name>/`) holds everything else; the demo, the fuzz and fault suites, the bench, the
 * bundles, the member stack and the docs index derive from this list (docs/adding-a-guardrail.md).
 */
export const guardrails: readonly AnyGuardrail[] = [
  cloudtrail,
  flowLogs,
  bucketLogging,
  guardduty,
  configRecorder,
  loadBalancerLogs,
  eksControlPlaneLogs,
  resolverQueryLogs,
  integrity,
  logBucketRetention,
];
