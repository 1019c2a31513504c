import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACCOUNT, REGION } from './emulator.js';

/**
 * Invoke a function bundled by `infra/bundle.ts` as Lambda would: its `policy.json` next to the code,
 * the region and account from the environment, every AWS call to the emulator.
 */
export async function invokeBundle<T>(bundleDir: string, endpoint: string, event: unknown): Promise<T> {
  const env = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: REGION,
    LAMBDA_TASK_ROOT: bundleDir,
    AWS_ENDPOINT_URL: endpoint,
    LOGWARDEN_ACCOUNT_ID: ACCOUNT,
  });
  try {
    const mod = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as {
      handler: (event: unknown, context: unknown) => Promise<T>;
    };
    return await mod.handler(event, {});
  } finally {
    process.env = env;
  }
}
