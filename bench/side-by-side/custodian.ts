/**
 * Cloud Custodian for the side-by-side bench, in a bench-only virtual environment (.venv-bench/ at
 * the repository root, git-ignored) so the project's own .venv (moto and the test tools) is never
 * touched. Created on demand; skipped when the pinned version is already there.
 *
 * Licence: c7n is Apache-2.0 (its wheel's METADATA: `License-Expression: Apache-2.0`, and the
 * LICENSE file it ships), the same licence as logwarden. It is only installed and run by the bench,
 * never imported, bundled or shipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './constants.js';

const C7N_VERSION = '0.9.53';
const VENV = join(ROOT, '.venv-bench');
const PYTHON = join(VENV, 'bin', 'python');
export const CUSTODIAN = join(VENV, 'bin', 'custodian');

/** The version of a distribution installed for `python`, or null. */
export function distributionVersion(python: string, distribution: string): string | null {
  if (!existsSync(python)) return null;
  const res = spawnSync(python, ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(distribution)}))`], {
    encoding: 'utf8',
  });
  return res.status === 0 ? res.stdout.trim() : null;
}

const installedVersion = (distribution: string) => distributionVersion(PYTHON, distribution);

/**
 * Make sure `c7n==C7N_VERSION` is installed in .venv-bench/; returns the versions that will run
 * (boto3 and botocore are whatever pip resolved for c7n, recorded with the results).
 */
export function ensureCustodian(say: (line: string) => void): Record<string, string | null> {
  if (installedVersion('c7n') !== C7N_VERSION) {
    if (!existsSync(PYTHON)) {
      say(`creating ${VENV} (python3 -m venv)`);
      execFileSync('python3', ['-m', 'venv', VENV], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    say(`installing c7n==${C7N_VERSION} into .venv-bench/ (pip)`);
    execFileSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `c7n==${C7N_VERSION}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { c7n: installedVersion('c7n'), boto3: installedVersion('boto3'), botocore: installedVersion('botocore') };
}

/**
 * `custodian run` of one policy file against one region. `--cache-period 0`: Custodian otherwise
 * answers a re-run within 15 minutes from its resource cache (~/.cache/cloud-custodian.cache),
 * which on a re-seeded emulator would act on resources of the previous round.
 */
export function custodianArgs(policyFile: string, outDir: string, region: string): string[] {
  return ['run', '--cache-period', '0', '-s', outDir, '--region', region, policyFile];
}
