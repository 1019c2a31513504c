import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type Registry, registry } from '../controllers/companions.js';
import { Bundler } from './bundle.js';
import { CentralStack } from './central-stack.js';
import { type Deployment, loadDeployment } from './config.js';
import { LogArchiveStack } from './log-archive-stack.js';
import { MemberStack } from './member-stack.js';
import { AssetBucketStack, RegionalAssetsSynthesizer, RolloutStack, StackSetTemplateSynthesizer } from './rollout.js';
import { ScpStack } from './scp-stack.js';

const TEMPLATE_DIR = 'stackset-template';
/** Server access logs are granted by bucket policy (BucketOwnerEnforced buckets cannot use the log-delivery ACL). */
const FEATURE_FLAGS = { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true };

export interface LogwardenApp {
  app: App;
  deployment: Deployment;
  central: CentralStack;
  /** The StackSet template's stack (synthesized into its own assembly, never deployed on its own). */
  template: MemberStack;
  templateFile: string;
  templateSynthesizer: StackSetTemplateSynthesizer;
  assetBuckets: AssetBucketStack[];
  rollout: RolloutStack;
  /** The member stack deployed directly in the management account, per region. */
  management: MemberStack[];
  /** The preventive SCP, when `scp.enabled`. */
  scp?: ScpStack;
  /** The central flow-log bucket, when `logArchive` is configured. */
  logArchive?: LogArchiveStack;
  /** The bundles built for this app (more member stacks of the same registry reuse them). */
  bundler: Bundler;
}

export interface BuildOptions {
  /** The deployment config; default: the `logwarden` context value (cdk.json). */
  config?: unknown;
  outdir?: string;
  /** The guardrails and their folders; default: `controllers/registry.ts`, each in `controllers/<name>/`. */
  registry?: Registry;
  /** Run the cdk-nag AwsSolutions checks (default true). */
  nag?: boolean;
}

/**
 * The whole logwarden deployment as one CDK app: the central stack, one asset bucket stack per
 * rollout region, the rollout stack (the StackSet) and the member stack for the management account.
 * Synthesizes offline: every environment comes from the config, nothing is looked up. Async because
 * the guardrails' infra hooks are loaded from their folders before any stack is built.
 */
export async function buildApp(options: BuildOptions = {}): Promise<LogwardenApp> {
  const app = new App({ outdir: options.outdir, analyticsReporting: false, context: FEATURE_FLAGS });
  const deployment = await loadDeployment(options.config ?? app.node.tryGetContext('logwarden'), options.registry ?? registry);
  const bundler = new Bundler(deployment.registry);
  const nag = options.nag !== false;
  // Pass 1: the StackSet template, in its own assembly inside the main one (its code assets are staged there).
  const stackSet = synthStackSetTemplate(app, deployment, bundler, nag);
  // Pass 2: the deployable stacks.
  const c = deployment.config;
  const central = new CentralStack(app, 'LogwardenCentral', {
    deployment,
    bundler,
    env: { account: c.central.account, region: c.central.region },
    description: 'logwarden central audit pipeline',
  });
  const { assetBuckets, rollout } = rolloutStacks(app, deployment, stackSet);
  const management = c.rollout.regions.map(
    (region) =>
      new MemberStack(app, `LogwardenMember-${region}`, {
        deployment,
        bundler,
        env: { account: c.managementAccount, region },
        description: 'logwarden member stack for the management account (StackSets skip it)',
      }),
  );
  const scp = c.scp.enabled
    ? new ScpStack(app, 'LogwardenScp', {
        deployment,
        env: { account: c.managementAccount, region: c.homeRegion },
        description: 'logwarden preventive service control policy (management account)',
      })
    : undefined;
  const logArchive = c.logArchive
    ? new LogArchiveStack(app, 'LogwardenLogArchive', {
        deployment,
        env: { account: c.logArchive.account, region: c.logArchive.region ?? c.central.region },
        description: 'logwarden log archive: the organization’s central VPC flow-log bucket',
      })
    : undefined;
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, deployment, central, ...stackSet, assetBuckets, rollout, management, scp, logArchive, bundler };
}

interface StackSetTemplate {
  template: MemberStack;
  templateFile: string;
  templateSynthesizer: StackSetTemplateSynthesizer;
}

/** The member stack as the StackSet's template, synthesized now into `<outdir>/stackset-template`. */
function synthStackSetTemplate(app: App, deployment: Deployment, bundler: Bundler, nag: boolean): StackSetTemplate {
  const templateOut = join(app.outdir, TEMPLATE_DIR);
  mkdirSync(templateOut, { recursive: true });
  const templateApp = new App({ outdir: templateOut, analyticsReporting: false, context: FEATURE_FLAGS });
  const templateSynthesizer = new StackSetTemplateSynthesizer(deployment.config.adminAccount);
  const template = new MemberStack(templateApp, 'LogwardenMember', {
    deployment,
    bundler,
    synthesizer: templateSynthesizer,
    analyticsReporting: false,
    description: 'logwarden member stack (deployed by the logwarden-member StackSet)',
  });
  if (nag) Validations.of(templateApp).addPlugins(new AwsSolutionsChecks(templateApp));
  templateApp.synth();
  return { template, templateFile: join(templateOut, template.templateFile), templateSynthesizer };
}

/** The code buckets per rollout region, the stack that publishes the template's code to them, and the StackSet. */
function rolloutStacks(app: App, deployment: Deployment, stackSet: StackSetTemplate) {
  const c = deployment.config;
  const assetBuckets = c.rollout.regions.map(
    (region) =>
      new AssetBucketStack(app, `LogwardenAssets-${region}`, {
        deployment,
        env: { account: c.adminAccount, region },
        description: 'logwarden function code for the StackSet, readable by the organization',
      }),
  );
  const codeAssets = new Stack(app, 'LogwardenMemberCode', {
    synthesizer: new RegionalAssetsSynthesizer(
      stackSet.templateSynthesizer.assets,
      TEMPLATE_DIR,
      c.adminAccount,
      c.rollout.regions,
      () => assetBuckets.map((s) => s.artifactId),
    ),
  });
  const rollout = new RolloutStack(app, 'LogwardenRollout', {
    deployment,
    templateFile: stackSet.templateFile,
    env: { account: c.adminAccount, region: c.homeRegion },
    description: 'logwarden organization rollout (service-managed StackSet)',
  });
  rollout.addStackDependency(codeAssets);
  for (const s of assetBuckets) rollout.addStackDependency(s);
  return { assetBuckets, rollout };
}
