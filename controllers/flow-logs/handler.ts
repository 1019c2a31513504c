import { createLambdaHandler } from '../core/lambda.js';
import { flowLogs } from './index.js';

/** Lambda entry point of the VPC flow-logs guardrail. */
export const handler = createLambdaHandler(flowLogs);
