import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AssociateResolverQueryLogConfigCommand,
  type AssociateResolverQueryLogConfigCommandInput,
  CreateResolverQueryLogConfigCommand,
  type CreateResolverQueryLogConfigCommandInput,
  ListResolverQueryLogConfigAssociationsCommand,
  type ListResolverQueryLogConfigAssociationsCommandInput,
  ListResolverQueryLogConfigsCommand,
  type ResolverQueryLogConfig,
  type ResolverQueryLogConfigAssociation,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { creatorRequestId } from '../../controllers/resolver-query-logs/diff.js';
import { resolverQueryLogs } from '../../controllers/resolver-query-logs/index.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';
import { DNS_BUCKET_ARN, deleteConfigEvent, disassociateEvent, queryLogsPolicy } from '../helpers/resolver-query-logs.js';

// These paths are not modelled by the emulator (moto 5.2.5): DisassociateResolverQueryLogConfig and
// DeleteResolverQueryLogConfig do not exist there (moto answers an HTML 500 page), so the events they
// produce are played here against a small in-memory Resolver; so are a configuration shared through
// RAM (moto has no RAM sharing of Resolver configurations), a CreatorRequestId that Resolver remembers
// after its configuration was deleted, failed or refused associations, and throttling.

/** The part of aws-sdk-client-mock's stub these tests use, typed loosely (see below). */
interface ResolverStub {
  on(
    command: unknown,
    input?: object,
  ): { callsFake(fn: (input: never) => unknown): unknown; resolves(v: unknown): unknown; rejects(e: unknown): unknown };
  reset(): void;
  calls(): { args: unknown[] }[];
}
// The Resolver client is built against another @smithy/types than aws-sdk-client-mock: its client and
// command classes do not match the mock's signatures. The mismatch is in the types only (the mock
// replaces send() as for any client), so the stub is typed loosely here.
const resolverMock = mockClient(Route53ResolverClient as unknown as typeof EC2Client) as unknown as ResolverStub;
/** The inputs of the calls of one command, in order. */
const inputsOf = <T>(command: abstract new (...args: never[]) => { input: T }): T[] =>
  resolverMock
    .calls()
    .map((c) => c.args[0])
    .filter((cmd): cmd is { input: T } => cmd instanceof command)
    .map((cmd) => cmd.input);
const ec2Mock = mockClient(EC2Client);
const TOKEN = creatorRequestId(ACCOUNT, REGION, DNS_BUCKET_ARN);
const OURS = 'rslvr-qlc-0a1b2c3d4e5f67890';
const VPC_A = 'vpc-0a1b2c3d4e5f60718';
const VPC_B = 'vpc-0123456789abcdef0';
const LOG_ARCHIVE = '210987654321';

function controller(section: Record<string, unknown> = queryLogsPolicy()) {
  return new Controller({
    guardrails: [resolverQueryLogs],
    policy: parsePolicy(policyWith({ 'resolver-query-logs': section }), [resolverQueryLogs]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}

const config = (extra: Partial<ResolverQueryLogConfig> = {}): ResolverQueryLogConfig => ({
  Id: OURS,
  OwnerId: ACCOUNT,
  Status: 'CREATED',
  ShareStatus: 'NOT_SHARED',
  Name: 'logwarden-query-logs',
  DestinationArn: DNS_BUCKET_ARN,
  CreatorRequestId: TOKEN,
  ...extra,
});

const awsError = (name: string, message: string, httpStatusCode = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

/** A Resolver in memory: what the listings return follows the writes. */
function fakeResolver(state: { configs: ResolverQueryLogConfig[]; associations: ResolverQueryLogConfigAssociation[] }) {
  resolverMock.on(ListResolverQueryLogConfigsCommand).callsFake(() => ({ ResolverQueryLogConfigs: state.configs }));
  resolverMock
    .on(ListResolverQueryLogConfigAssociationsCommand)
    .callsFake((input: ListResolverQueryLogConfigAssociationsCommandInput) => {
      const vpc = input.Filters?.find((f) => f.Name === 'ResourceId')?.Values?.[0];
      return { ResolverQueryLogConfigAssociations: state.associations.filter((a) => !vpc || a.ResourceId === vpc) };
    });
  resolverMock.on(CreateResolverQueryLogConfigCommand).callsFake((input: CreateResolverQueryLogConfigCommandInput) => {
    if (state.configs.some((c) => c.CreatorRequestId === input.CreatorRequestId))
      throw awsError('ResourceExistsException', 'exists');
    const made = config({
      Id: `rslvr-qlc-new${state.configs.length}`,
      CreatorRequestId: input.CreatorRequestId,
      Status: 'CREATING',
    });
    state.configs.push(made);
    return { ResolverQueryLogConfig: made };
  });
  resolverMock.on(AssociateResolverQueryLogConfigCommand).callsFake((input: AssociateResolverQueryLogConfigCommandInput) => {
    const a: ResolverQueryLogConfigAssociation = {
      Id: `rslvr-qlcassoc-${state.associations.length}`,
      ResolverQueryLogConfigId: input.ResolverQueryLogConfigId,
      ResourceId: input.ResourceId,
      Status: 'CREATING',
    };
    state.associations.push(a);
    return { ResolverQueryLogConfigAssociation: a };
  });
  return state;
}

const vpcs = (...ids: string[]) => ({ Vpcs: ids.map((VpcId) => ({ VpcId, OwnerId: ACCOUNT, Tags: [] })) });

beforeEach(() => {
  resolverMock.reset();
  ec2Mock.reset();
  ec2Mock.on(DescribeVpcsCommand).callsFake((input) => vpcs(...(input.VpcIds ?? [VPC_A, VPC_B])));
});

describe('resolver-query-logs with aws-sdk-client-mock: events moto cannot produce', () => {
  it('DisassociateResolverQueryLogConfig → the VPC is associated with logwarden configuration again', async () => {
    const state = fakeResolver({ configs: [config()], associations: [] });

    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));

    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      resource: { id: VPC_A },
      actions: [{ api: 'route53resolver:AssociateResolverQueryLogConfig', ok: true }],
    });
    expect(inputsOf(AssociateResolverQueryLogConfigCommand)[0]).toEqual({
      ResolverQueryLogConfigId: OURS,
      ResourceId: VPC_A,
    });
    expect(inputsOf(CreateResolverQueryLogConfigCommand)).toHaveLength(0);
    expect(state.associations).toHaveLength(1);
  });

  it('DeleteResolverQueryLogConfig of logwarden configuration → one creation (tagged) shared by every VPC left unlogged', async () => {
    const state = fakeResolver({ configs: [], associations: [] });

    const records = await controller().handleEvent(deleteConfigEvent(OURS));

    expect(records.map((r) => [r.resource.id, r.outcome]).sort()).toEqual(
      [
        [VPC_B, 'remediated'],
        [VPC_A, 'remediated'],
      ].sort(),
    );
    const creates = inputsOf(CreateResolverQueryLogConfigCommand);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toEqual({
      Name: 'logwarden-query-logs',
      DestinationArn: DNS_BUCKET_ARN,
      CreatorRequestId: TOKEN,
      Tags: [{ Key: 'logwarden:managed', Value: 'true' }],
    });
    expect(state.associations.map((a) => a.ResourceId).sort()).toEqual([VPC_A, VPC_B].sort());
  });

  it('DeleteResolverQueryLogConfig naming a configuration shared from another account (RAM) → ignored with the reason', async () => {
    fakeResolver({
      configs: [config({ Id: OURS, OwnerId: LOG_ARCHIVE, ShareStatus: 'SHARED_WITH_ME', CreatorRequestId: 'archive' })],
      associations: [],
    });
    // The record carries no ownerId (a truncated response): the listing says whose it is.
    const event = deleteConfigEvent(OURS);
    (event.detail as Record<string, unknown>).responseElements = null;

    const [record] = await controller().handleEvent(event);

    expect(record).toMatchObject({ outcome: 'ignored', resource: { id: OURS }, runbook: 'runbooks/resolver-query-logs.md' });
    expect(record?.reason).toContain(`owned by account ${LOG_ARCHIVE} (shared through RAM)`);
    expect(inputsOf(AssociateResolverQueryLogConfigCommand)).toHaveLength(0);
  });

  it('a configuration shared through RAM that delivers to the destination counts: the VPC is compliant', async () => {
    const shared = config({
      Id: 'rslvr-qlc-archive0000000000',
      OwnerId: LOG_ARCHIVE,
      ShareStatus: 'SHARED_WITH_ME',
      CreatorRequestId: 'x',
    });
    fakeResolver({
      configs: [shared],
      associations: [{ Id: 'a', ResolverQueryLogConfigId: shared.Id, ResourceId: VPC_A, Status: 'ACTIVE' }],
    });
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record?.outcome).toBe('compliant');
  });
});

describe('resolver-query-logs with aws-sdk-client-mock: CreatorRequestId generations', () => {
  it('a token Resolver remembers for a deleted configuration is spent: the next generation is used', async () => {
    const state = fakeResolver({ configs: [config({ Status: 'DELETING' })], associations: [] });

    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));

    expect(record?.outcome).toBe('remediated');
    const tokens = inputsOf(CreateResolverQueryLogConfigCommand).map((i) => i.CreatorRequestId);
    expect(tokens).toEqual([TOKEN, `${TOKEN}-2`]);
    expect(state.associations[0]?.ResolverQueryLogConfigId).toBe('rslvr-qlc-new1');
  });

  it('an idempotent replay answering a configuration that delivers elsewhere is spent too', async () => {
    fakeResolver({ configs: [], associations: [] });
    resolverMock
      .on(CreateResolverQueryLogConfigCommand, { CreatorRequestId: TOKEN })
      .resolves({ ResolverQueryLogConfig: config({ Id: 'rslvr-qlc-squatted', DestinationArn: 'arn:aws:s3:::mallory' }) });
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record?.outcome).toBe('remediated');
    expect(inputsOf(CreateResolverQueryLogConfigCommand)).toHaveLength(2);
  });

  it('every generation spent → failed, not retryable, naming each token', async () => {
    fakeResolver({ configs: [], associations: [] });
    resolverMock.on(CreateResolverQueryLogConfigCommand).rejects(awsError('ResourceExistsException', 'exists'));
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain('CreatorRequestIdsSpent');
    expect(record?.reason).toContain(`${TOKEN}-3 (not visible)`);
  });
});

describe('resolver-query-logs with aws-sdk-client-mock: refused writes', () => {
  it('an existing association that FAILED (destination access denied) → failed, not retryable, with Resolver reason', async () => {
    fakeResolver({
      configs: [config()],
      associations: [
        {
          Id: 'a',
          ResolverQueryLogConfigId: OURS,
          ResourceId: VPC_A,
          Status: 'FAILED',
          Error: 'ACCESS_DENIED',
          ErrorMessage: 'cannot write to the bucket',
        },
      ],
    });
    resolverMock.on(AssociateResolverQueryLogConfigCommand).rejects(awsError('ResourceExistsException', 'already associated'));
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain('the association is FAILED (cannot write to the bucket)');
  });

  it('throttling → failed and retryable', async () => {
    fakeResolver({ configs: [config()], associations: [] });
    resolverMock.on(AssociateResolverQueryLogConfigCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record).toMatchObject({ outcome: 'failed', retryable: true });
  });

  it('a configuration still CREATING that Resolver will not associate yet → failed and retryable', async () => {
    fakeResolver({ configs: [config({ Status: 'CREATING' })], associations: [] });
    resolverMock.on(AssociateResolverQueryLogConfigCommand).rejects(awsError('InvalidRequestException', 'not in CREATED state'));
    const [record] = await controller().handleEvent(disassociateEvent(OURS, VPC_A));
    expect(record).toMatchObject({ outcome: 'failed', retryable: true });
    expect(record?.reason).toContain('QueryLogConfigNotReady');
  });

  it('access denied on the listing → a failed sweep record, never a throw', async () => {
    resolverMock.on(ListResolverQueryLogConfigsCommand).rejects(awsError('AccessDeniedException', 'not authorized', 403));
    resolverMock.on(ListResolverQueryLogConfigAssociationsCommand).resolves({ ResolverQueryLogConfigAssociations: [] });
    const [record] = await controller().handleEvent(
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'resolver-query-logs' }),
    );
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toMatch(/AccessDeniedException/);
  });
});
