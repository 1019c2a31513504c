import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../controllers/core/identity.js';

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  it('agrees with the CDK’s region table for every region it knows', () => {
    const regions = RegionInfo.regions;
    expect(regions.length).toBeGreaterThan(30);
    const wrong = regions.filter((r) => partitionOf(r.name) !== r.partition).map((r) => `${r.name}: ${r.partition}`);
    expect(wrong).toEqual([]);
  });

  it('builds the trail ARN a GovCloud controller compares with', async () => {
    const { trailArn } = await import('../../controllers/cloudtrail/events.js');
    expect(trailArn('123456789012', 'us-gov-west-1', 'audit')).toBe(
      'arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:trail/audit',
    );
    expect(trailArn('123456789012', 'eu-west-1', 'audit')).toBe('arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit');
  });
});
