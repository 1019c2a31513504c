import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** moto's default account: both tools find it through STS GetCallerIdentity. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** Test credentials; moto accepts any. */
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
