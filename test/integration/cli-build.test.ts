/**
 * The built CLI (`npm run build`, what `npm pack` ships) against the TypeScript one: start-up loads only
 * what the command needs, the output is the same, and the packed tarball installs and runs elsewhere.
 * The build goes to temporary directories, never to the repository's dist/ (other test files run it).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { buildCli } from '../../scripts/build.js';
import { createTrailBucket, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT, createAuditBus, REGION, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'lw-cli-build-'));

/** An `--import` module recording every module URL Node resolves, one per line, in $LOGWARDEN_TEST_MODULE_LOG. */
const RECORDER = join(work, 'record-modules.mjs');
writeFileSync(
  RECORDER,
  `import { register } from 'node:module';
const hooks = \`import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.LOGWARDEN_TEST_MODULE_LOG, result.url + '\\\\n');
  return result;
}\`;
register('data:text/javascript,' + encodeURIComponent(hooks));
`,
);

/** The package as installed: bin/, dist/ and package.json, no sources. */
const PACKAGE = join(work, 'package');
let metafile: Metafile;

beforeAll(async () => {
  mkdirSync(join(PACKAGE, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(PACKAGE, 'package.json'));
  copyFileSync(join(ROOT, 'bin', 'logwarden.mjs'), join(PACKAGE, 'bin', 'logwarden.mjs'));
  metafile = await buildCli(join(PACKAGE, 'dist'));
}, 120_000);

type Cli = 'built' | 'source';
/** How to start each CLI: the package's bin (which runs dist/), or cli/main.ts through tsx. */
const START: Record<Cli, string[]> = {
  built: [join(PACKAGE, 'bin', 'logwarden.mjs')],
  source: ['--import', 'tsx', join(ROOT, 'cli', 'main.ts')],
};

function run(cli: Cli, args: string[], env: NodeJS.ProcessEnv = {}, nodeOptions: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...nodeOptions, ...START[cli], ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOGWARDEN_LOG_LEVEL: 'WARN', ...env },
    timeout: 60_000,
  });
}

/** The files a run loaded: every file: URL resolved, relative to the repository (or to the package for dist/). */
function loadedFiles(cli: Cli, args: string[]): { status: number | null; files: string[] } {
  const log = join(mkdtempSync(join(work, 'log-')), 'modules.txt');
  writeFileSync(log, '');
  const res = run(cli, args, { LOGWARDEN_TEST_MODULE_LOG: log }, ['--import', pathToFileURL(RECORDER).href]);
  const urls = readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'));
  const base = cli === 'built' ? PACKAGE : ROOT;
  return { status: res.status, files: [...new Set(urls.map((url) => relative(base, new URL(url).pathname)))] };
}

/** For the built CLI: the source modules inside the dist/ files it loaded (esbuild's metafile says which). */
function bundledInputs(distFiles: string[]): string[] {
  return distFiles.flatMap((file) => {
    const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(file));
    return output ? Object.keys(output[1].inputs) : [];
  });
}

function sourcesLoaded(cli: Cli, args: string[]): string[] {
  const { files } = loadedFiles(cli, args);
  return cli === 'built' ? bundledInputs(files) : files;
}

/** What --help, --version and usage errors may not load: the AWS SDK, the controllers (errors.ts aside), the demo and the emulator. */
const HEAVY = /node_modules\/@aws-sdk\/|(^|\/)controllers\/(?!core\/errors\.ts$)|(^|\/)cli\/(demo\/|emulator\.ts|context\.ts)/;

describe.each<Cli>(['source', 'built'])('start-up of the %s CLI', (cli) => {
  it.each(['--help', '--version', 'scan --bogus', 'audit --help'])(
    '`logwarden %s` loads no AWS SDK module, controller, demo or emulator',
    (commandLine) => {
      const loaded = sourcesLoaded(cli, commandLine.split(' '));
      expect(loaded).toContain('cli/program.ts');
      expect(loaded.filter((file) => HEAVY.test(file))).toEqual([]);
    },
  );

  it('scan does load the AWS SDK and the controllers (the recorder sees them)', () => {
    const loaded = sourcesLoaded(cli, ['scan', '--config', join(work, 'no-such-policy.json')]);
    expect(loaded.some((file) => file.includes('node_modules/@aws-sdk/client-sts/'))).toBe(true);
    expect(loaded).toContain('controllers/registry.ts');
  });
});

describe('the built CLI', () => {
  it('--version prints the package version; --help is the same as from source', () => {
    const version = run('built', ['--version']);
    expect([version.status, version.stdout.trim(), version.stderr]).toEqual([0, VERSION, '']);
    const help = run('built', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(run('source', ['--help']).stdout);
  });

  it('usage errors exit 2 with the same message as from source', () => {
    const built = run('built', ['sacn']);
    expect(built.status).toBe(2);
    expect(built.stderr).toMatch(/unknown command 'sacn'/);
    expect(built.stderr).toBe(run('source', ['sacn']).stderr);
  });
});

describe('the built CLI against the emulator', () => {
  const emu = useEmulator();
  const policyFile = join(work, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policyWith({ cloudtrail: trailPolicy() })));
  // The switch vitest.config.ts sets is removed (undefined: not passed on), so the check below is cli/main.ts's own.
  const env = () => ({
    AWS_ENDPOINT_URL: emu.endpoint,
    AWS_REGION: REGION,
    LOGWARDEN_POLICY_FILE: policyFile,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
  });

  beforeEach(async () => {
    await createTrailBucket(emu.clients());
    await createAuditBus(emu.clients());
  });

  it('scan prints the same table and exits 1 like the source CLI, without the SDK Node-version warning', () => {
    const source = run('source', ['scan', '--all'], env());
    const built = run('built', ['scan', '--all'], env());
    expect(source.status).toBe(1);
    expect(source.stdout).toMatch(/org-audit-trail\s+drift-detected/);
    expect([built.status, built.stdout, built.stderr]).toEqual([source.status, source.stdout, source.stderr]);
    expect(built.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});

describe('npm pack', () => {
  const emu = useEmulator();
  /** A copy of the repository's files (tracked and new, not ignored), with its node_modules for the prepack build. */
  function copyOfRepository(): string {
    const copy = join(work, 'repository');
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    for (const file of listed.stdout.split('\0').filter((f) => f !== '' && f !== 'node_modules' && f !== '.venv')) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(copy, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    return copy;
  }

  /** Pack a copy of the repository, install the tarball offline into an empty prefix; run the installed command. */
  function packAndInstall() {
    const copy = copyOfRepository();
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(['bin/logwarden.mjs', 'dist/main.js', 'package.json', 'README.md']));
    expect(files.filter((file) => !/^(bin\/logwarden\.mjs|dist\/[\w-]+\.js|package\.json|README\.md)$/.test(file))).toEqual([]);

    const prefix = join(work, 'global');
    const install = spawnSync(
      'npm',
      ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, packed?.filename ?? '')],
      { cwd: work, encoding: 'utf8' },
    );
    expect(install.status, install.stderr).toBe(0);
    const installed = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [join(prefix, 'bin', 'logwarden'), ...args], {
        cwd: work,
        encoding: 'utf8',
        env: { PATH: dirname(process.execPath), HOME: work, ...env },
      });
    expect(installed(['--version']).stdout.trim()).toBe(VERSION);
    expect(installed(['--help']).stdout).toMatch(/Usage: logwarden/);
    const demo = installed(['demo']);
    expect(demo.status).toBe(2);
    expect(demo.stderr).toMatch(/moto_server\) was not found.*pip install 'moto\[server\]==/);
    return installed;
  }

  it('builds (prepack), ships bin, dist and README but no sources or tests, installs elsewhere, and every command runs from it', async () => {
    const installed = packAndInstall();
    await createTrailBucket(emu.clients());
    await createAuditBus(emu.clients());
    const policyFile = join(work, 'installed-policy.json');
    writeFileSync(policyFile, JSON.stringify(policyWith({ cloudtrail: trailPolicy() })));
    const env = {
      AWS_ENDPOINT_URL: emu.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      LOGWARDEN_POLICY_FILE: policyFile,
    };
    const scan = installed(['scan'], env);
    expect([scan.status, scan.stdout], scan.stderr).toEqual([
      1,
      expect.stringMatching(/cloudtrail us-east-1: 1 resource\(s\): 1 drift-detected/),
    ]);
    const remediate = installed(['remediate'], env);
    expect([remediate.status, remediate.stdout], remediate.stderr).toEqual([0, expect.stringMatching(/1 remediated/)]);
    const eventFile = join(work, 'sweep-event.json');
    writeFileSync(eventFile, JSON.stringify(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'cloudtrail' })));
    const handle = installed(['handle', eventFile], env);
    expect(handle.status, handle.stderr).toBe(0);
    const recordsFile = join(work, 'records.jsonl');
    writeFileSync(recordsFile, handle.stdout);
    expect(JSON.parse(handle.stdout.trim().split('\n')[0] ?? '{}')).toMatchObject({
      guardrail: 'cloudtrail',
      outcome: 'compliant',
    });
    const audit = installed(['audit', recordsFile, '--summary'], env);
    expect([audit.status, audit.stdout], audit.stderr).toEqual([
      0,
      expect.stringMatching(/all 1 item\(s\) read are valid audit records/),
    ]);
  }, 240_000);
});

describe('logwarden init: lazy, and the example bundled', () => {
  it.each<Cli>(['source', 'built'])('`logwarden init --help` from the %s CLI loads no AWS SDK module or controller', (cli) => {
    const loaded = sourcesLoaded(cli, ['init', '--help']);
    expect(loaded).toContain('cli/program.ts');
    expect(loaded.filter((file) => HEAVY.test(file) || file.startsWith('cli/init/'))).toEqual([]);
  });

  it('init --from-example writes examples/logwarden.policy.json from a package that has no examples/ folder', () => {
    const out = join(mkdtempSync(join(work, 'init-')), 'policy.json');
    const res = run('built', ['init', '--from-example', '--out', out]);
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'examples', 'logwarden.policy.json'), 'utf8')),
    );
  });
});
