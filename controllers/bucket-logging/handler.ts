import { createLambdaHandler } from '../core/lambda.js';
import { bucketLogging } from './index.js';

/** Lambda entry point of the S3 bucket-logging guardrail. */
export const handler = createLambdaHandler(bucketLogging);
