import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Annotations,
  CfnOutput,
  aws_cloudformation as cfn,
  type DockerImageAssetLocation,
  Duration,
  type FileAssetLocation,
  FileAssetPackaging,
  type FileAssetSource,
  Fn,
  type ISynthesisSession,
  aws_iam as iam,
  RemovalPolicy,
  Stack,
  type StackProps,
  StackSynthesizer,
  aws_s3 as s3,
  aws_s3_assets as s3assets,
} from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import type { Construct } from 'constructs';
import type { Deployment } from './config.js';
import { acknowledge } from './nag.js';
import { ungovernedRegions } from './regions.js';

/** The per-region bucket (in the StackSet admin account) that holds the functions' code for every member account. */
export function assetBucketName(adminAccount: string, region: string): string {
  return `logwarden-assets-${adminAccount}-${region}`;
}

/** A code asset of the StackSet template: staged by CDK, copied to every region's asset bucket. */
export interface TemplateAsset {
  sourceHash: string;
  /** Staged path, relative to the template assembly's directory. */
  fileName: string;
  packaging: FileAssetPackaging;
  objectKey: string;
}

/**
 * Synthesizer of the StackSet template. The template must work in every target account and region:
 * code assets point at `logwarden-assets-<admin>-${AWS::Region}`, a bucket the admin account has in
 * each rollout region (readable by the organization), and the template carries no bootstrap-version
 * rule (member accounts are not CDK-bootstrapped) and no CDK metadata.
 */
export class StackSetTemplateSynthesizer extends StackSynthesizer {
  readonly assets: TemplateAsset[] = [];

  constructor(private readonly adminAccount: string) {
    super();
  }

  addFileAsset(asset: FileAssetSource): FileAssetLocation {
    if (!asset.fileName || asset.packaging === undefined)
      throw new Error('StackSet template assets must be files or directories');
    const ext = asset.packaging === FileAssetPackaging.ZIP_DIRECTORY ? '.zip' : '';
    const objectKey = `${asset.sourceHash}${ext}`;
    if (!this.assets.some((a) => a.sourceHash === asset.sourceHash)) {
      this.assets.push({ sourceHash: asset.sourceHash, fileName: asset.fileName, packaging: asset.packaging, objectKey });
    }
    const bucketName = Fn.sub(`logwarden-assets-${this.adminAccount}-\${AWS::Region}`);
    return {
      bucketName,
      objectKey,
      httpUrl: Fn.sub(
        `https://s3.\${AWS::Region}.\${AWS::URLSuffix}/logwarden-assets-${this.adminAccount}-\${AWS::Region}/${objectKey}`,
      ),
      s3ObjectUrl: Fn.sub(`s3://logwarden-assets-${this.adminAccount}-\${AWS::Region}/${objectKey}`),
    };
  }

  addDockerImageAsset(): DockerImageAssetLocation {
    throw new Error('the StackSet template has no Docker image assets');
  }

  synthesize(session: ISynthesisSession): void {
    // Only the template file: this stack is never deployed on its own, the StackSet deploys it.
    this.synthesizeTemplate(session);
  }
}

/**
 * Carries the template's code assets into the main cloud assembly: its artifact is an asset
 * manifest (no stack) with one destination per rollout region, published with the deployer's
 * credentials when the rollout stack is deployed (the rollout stack depends on it).
 */
export class RegionalAssetsSynthesizer extends StackSynthesizer {
  constructor(
    private readonly assets: readonly TemplateAsset[],
    /** Directory of the template assembly, relative to the main assembly. */
    private readonly assetDir: string,
    private readonly adminAccount: string,
    private readonly regions: readonly string[],
    private readonly after: () => string[],
  ) {
    super();
  }

  addFileAsset(): FileAssetLocation {
    throw new Error('no assets of its own');
  }

  addDockerImageAsset(): DockerImageAssetLocation {
    throw new Error('no assets of its own');
  }

  synthesize(session: ISynthesisSession): void {
    const files: Record<string, cxschema.FileAsset> = {};
    for (const a of this.assets) {
      const destinations: Record<string, cxschema.FileDestination> = {};
      for (const region of this.regions) {
        destinations[region] = { region, bucketName: assetBucketName(this.adminAccount, region), objectKey: a.objectKey };
      }
      files[a.sourceHash] = {
        source: {
          path: join(this.assetDir, a.fileName),
          packaging:
            a.packaging === FileAssetPackaging.ZIP_DIRECTORY
              ? cxschema.FileAssetPackaging.ZIP_DIRECTORY
              : cxschema.FileAssetPackaging.FILE,
        },
        destinations,
      };
    }
    const id = this.boundStack.artifactId;
    const file = `${id}.assets.json`;
    writeFileSync(
      join(session.assembly.outdir, file),
      JSON.stringify({ version: cxschema.Manifest.version(), files, dockerImages: {} }, null, 2),
    );
    const deps = this.after();
    session.assembly.addArtifact(id, {
      type: cxschema.ArtifactType.ASSET_MANIFEST,
      properties: { file },
      dependencies: deps.length > 0 ? deps : undefined,
    });
  }
}

/** The asset bucket of one region, in the StackSet admin account; the organization may read it. */
export class AssetBucketStack extends Stack {
  readonly bucket: s3.Bucket;
  constructor(scope: Construct, id: string, props: StackProps & { deployment: Deployment }) {
    super(scope, id, props);
    const d = props.deployment;
    this.bucket = new s3.Bucket(this, 'Assets', {
      bucketName: assetBucketName(d.config.adminAccount, this.region),
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // Current objects stay: stack instances that have not been updated yet still point at them.
      lifecycleRules: [{ id: 'old-versions', noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationReadsFunctionCode',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': d.config.organizationId } },
      }),
    );
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Holds only the functions’ code (content-addressed, written by the deployment); reads are organization-only and logged by CloudTrail data events if enabled.',
    );
  }
}

/** The StackSet's name (the heartbeat monitor lists its instances). */
export const STACKSET_NAME = 'logwarden-member';

/** The StackSet (service-managed, auto-deployment) that rolls the member stack out to the organization. */
export class RolloutStack extends Stack {
  readonly stackSet: cfn.CfnStackSet;
  constructor(scope: Construct, id: string, props: StackProps & { deployment: Deployment; templateFile: string }) {
    super(scope, id, props);
    const d = props.deployment;
    const template = new s3assets.Asset(this, 'MemberTemplate', { path: props.templateFile });
    const r = d.config.rollout;
    this.stackSet = new cfn.CfnStackSet(this, 'Member', {
      stackSetName: STACKSET_NAME,
      description: 'logwarden: guardrail controllers, rules, Config rules and heartbeat in every account and region',
      permissionModel: 'SERVICE_MANAGED',
      callAs: d.config.callAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      managedExecution: { Active: true },
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      operationPreferences: {
        regionConcurrencyType: r.regionConcurrency,
        failureTolerancePercentage: r.failureTolerancePercentage,
        maxConcurrentPercentage: r.maxConcurrentPercentage,
      },
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds: r.organizationalUnitIds }, regions: r.regions }],
      templateUrl: template.httpUrl,
    });
    // Say where logwarden is not: logging switched off in these regions goes unnoticed (docs/deployment.md).
    const ungoverned = ungovernedRegions(r.regions);
    new CfnOutput(this, 'UngovernedRegions', {
      description: 'Regions where no logwarden controller runs (deny them with scp.denyUngovernedRegions)',
      value: ungoverned.length > 0 ? ungoverned.join(',') : 'none',
    });
    if (ungoverned.length > 0) {
      Annotations.of(this).addInfo(`logwarden does not govern ${ungoverned.length} region(s): ${ungoverned.join(', ')}`);
    }
  }
}
