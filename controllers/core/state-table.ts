import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from './aws.js';

/**
 * Clocks of the Lambda fleet may differ this much. A state-table time further ahead than this (a flap
 * time, a lease end past its TTL) was not written by logwarden: it is ignored and reported.
 */
export const CLOCK_SKEW_MS = 60_000;

/**
 * The controllers' state table (one per account and region, `LOGWARDEN_STATE_TABLE`): the flap
 * history and the per-resource leases both live there, under different key prefixes.
 */
export abstract class StateTableStore {
  constructor(
    protected readonly clients: AwsClients,
    protected readonly region: string,
    protected readonly table: string,
  ) {}

  protected get db(): DynamoDBClient {
    return this.clients.get(DynamoDBClient, this.region);
  }
}
