import { createLambdaHandler } from '../core/lambda.js';
import { guardduty } from './index.js';

/** Lambda entry point of the GuardDuty guardrail. */
export const handler = createLambdaHandler(guardduty);
