import { createLambdaHandler } from '../core/lambda.js';
import { cloudtrail } from './index.js';

/** Lambda entry point of the CloudTrail guardrail. */
export const handler = createLambdaHandler(cloudtrail);
