/**
 * Durable step records: small JSON values in the environment's step table (DynamoDB), written
 * with conditional writes so that two deliveries of a job in flight at once cannot both win.
 *
 * The same table holds the runtime's exactly-once records (Powertools idempotency, `job#…`) and
 * continuation states too large for a token (`state#…`). A step's records live under
 * `record#<key>`: a step chooses keys that mean the same thing to every job that must see them
 * (e.g. `maintenance#<env>` for the maintenance ownership record).
 *
 * Every item expires (TTL attribute `expiration`, seconds since the epoch). DynamoDB deletes
 * expired items only eventually (within days), so reads and claims treat an expired item as absent.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** Attribute names shared with Powertools' DynamoDBPersistenceLayer defaults (`id`, `expiration`). */
export const KEY_ATTRIBUTE = 'id';
export const EXPIRY_ATTRIBUTE = 'expiration';
const VALUE_ATTRIBUTE = 'value';

/**
 * How long a record lives by default: 2 days, more than CodePipeline's 24-hour limit for one
 * action, so a record outlives every job that may still read it.
 */
export const RECORD_TTL_SECONDS = 2 * 24 * 3600;

export interface RecordOptions {
  /** @default RECORD_TTL_SECONDS (2 days) */
  readonly ttlSeconds?: number;
}

export interface Claim<T> {
  /** True when this call created the record; false when a live record was already there. */
  readonly created: boolean;
  /** The stored value: this call's when created, otherwise the existing one. */
  readonly value: T;
}

/**
 * A step's durable records (`ctx.records`). Values are JSON (stored as their JSON text). Every
 * call is one DynamoDB request; a failing request throws a StepFailure naming the record and table.
 */
export interface StepRecords {
  /** Creates the record if it is absent or expired, atomically: of two concurrent claims exactly one gets `created: true`. */
  claim<T>(key: string, value: T, options?: RecordOptions): Promise<Claim<T>>;
  /** The live value, or undefined when absent or expired (strongly consistent read). */
  get<T>(key: string): Promise<T | undefined>;
  /** Writes the value unconditionally (last writer wins). */
  put<T>(key: string, value: T, options?: RecordOptions): Promise<void>;
  /**
   * Deletes the record. With `ifValue`, only when the stored JSON text equals `JSON.stringify(ifValue)`
   * (same key order), e.g. release an ownership record only if it is still ours.
   * @returns whether a record was deleted (false: absent, or held another value)
   */
  delete(key: string, options?: { readonly ifValue?: unknown }): Promise<boolean>;
}

/** Wraps a failed DynamoDB request; the job runtime supplies its error mapping (avoids an import cycle). */
export type Wrap = <R>(what: string, request: Promise<R>) => Promise<R>;

/** Low-level access to the table, shared by the records API and the continuation-state store. */
export class StepTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly now: () => number,
    private readonly wrap: Wrap,
  ) {}

  private item(id: string, value: unknown, ttlSeconds: number): Record<string, AttributeValue> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`record ${id}: value must be JSON, got ${String(value)}`);
    return {
      [KEY_ATTRIBUTE]: { S: id },
      [VALUE_ATTRIBUTE]: { S: text },
      [EXPIRY_ATTRIBUTE]: { N: String(Math.floor(this.now() / 1000) + ttlSeconds) },
    };
  }

  private live(item: Record<string, AttributeValue> | undefined): unknown {
    if (!item?.[VALUE_ATTRIBUTE]?.S) return undefined;
    if (Number(item[EXPIRY_ATTRIBUTE]?.N ?? Infinity) <= this.now() / 1000) return undefined;
    return JSON.parse(item[VALUE_ATTRIBUTE].S);
  }

  private where(id: string) {
    return `record ${id} in DynamoDB table ${this.tableName}`;
  }

  async claim<T>(id: string, value: T, ttlSeconds = RECORD_TTL_SECONDS): Promise<Claim<T>> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.item(id, value, ttlSeconds),
          ConditionExpression: 'attribute_not_exists(#id) OR #expiration <= :now',
          ExpressionAttributeNames: { '#id': KEY_ATTRIBUTE, '#expiration': EXPIRY_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.now() / 1000)) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true, value };
    } catch (err) {
      // By name: an error class of another copy of the SDK (a bundle's) is not `instanceof` this one.
      if ((err as Error).name === 'ConditionalCheckFailedException') {
        return { created: false, value: this.live((err as ConditionalCheckFailedException).Item) as T };
      }
      return this.wrap(`DynamoDB PutItem (claim) of ${this.where(id)}`, Promise.reject(err));
    }
  }

  async get<T>(id: string): Promise<T | undefined> {
    const out = await this.wrap(
      `DynamoDB GetItem of ${this.where(id)}`,
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [KEY_ATTRIBUTE]: { S: id } }, ConsistentRead: true })),
    );
    return this.live(out.Item) as T | undefined;
  }

  async put<T>(id: string, value: T, ttlSeconds = RECORD_TTL_SECONDS): Promise<void> {
    await this.wrap(`DynamoDB PutItem of ${this.where(id)}`, this.client.send(new PutItemCommand({ TableName: this.tableName, Item: this.item(id, value, ttlSeconds) })));
  }

  async delete(id: string, ifValue?: unknown): Promise<boolean> {
    const conditional = ifValue !== undefined;
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [KEY_ATTRIBUTE]: { S: id } },
          ReturnValues: 'ALL_OLD',
          ...(conditional
            ? {
                ConditionExpression: '#value = :value',
                ExpressionAttributeNames: { '#value': VALUE_ATTRIBUTE },
                ExpressionAttributeValues: { ':value': { S: JSON.stringify(ifValue) } },
              }
            : {}),
        }),
      );
      return this.live(out.Attributes) !== undefined;
    } catch (err) {
      // Only a conditional delete can fail its condition: the record holds another value.
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      return this.wrap(`DynamoDB DeleteItem of ${this.where(id)}`, Promise.reject(err));
    }
  }

  /** The records API a step sees: its keys under `record#`. */
  records(): StepRecords {
    const id = (key: string) => {
      if (!key) throw new TypeError('a record key must not be empty');
      return `record#${key}`;
    };
    return {
      claim: (key, value, options) => this.claim(id(key), value, options?.ttlSeconds),
      get: (key) => this.get(id(key)),
      put: (key, value, options) => this.put(id(key), value, options?.ttlSeconds),
      delete: (key, options) => this.delete(id(key), options?.ifValue),
    };
  }
}
