/**
 * A stateful fake of the DynamoDB item API: tables with a partition and sort key and local
 * secondary indexes, PutItem / GetItem / DeleteItem with condition expressions (evaluated
 * atomically: two deliveries in flight race for real), Query (key condition on the partition
 * key, index order, Limit and pagination), and the 400 KB item limit.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsError } from './aws';

export interface FakeTableSpec {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Index name → its sort key (KEYS_ONLY projection). */
  readonly indexes?: Record<string, string>;
}

type Item = Record<string, unknown>;
type Values = Record<string, unknown>;

/** DynamoDB's item size limit, attribute names and values (UTF-8) included. */
const MAX_ITEM_BYTES = 400 * 1024;

export class FakeDynamoDb {
  readonly tables = new Map<string, { spec: FakeTableSpec; items: Map<string, Item> }>();

  createTable(name: string, spec: FakeTableSpec) {
    this.tables.set(name, { spec, items: new Map() });
  }

  items(table: string): Item[] {
    return [...this.table(table).items.values()];
  }

  private table(name: string) {
    const t = this.tables.get(name);
    if (!t) throw new AwsError('ResourceNotFoundException', 'Requested resource not found');
    return t;
  }

  private key(spec: FakeTableSpec, item: Item): string {
    for (const k of [spec.partitionKey, spec.sortKey]) {
      if (typeof item[k] !== 'string') throw new AwsError('ValidationException', `One or more parameter values were invalid: Missing the key ${k} in the item`);
    }
    return JSON.stringify([item[spec.partitionKey], item[spec.sortKey]]);
  }

  private check(condition: string | undefined, item: Item | undefined, b: any) {
    if (!condition) return;
    const values = b.ExpressionAttributeValues ? unmarshall(b.ExpressionAttributeValues) : {};
    if (!evaluate(condition, item ?? {}, b.ExpressionAttributeNames ?? {}, values)) {
      throw new AwsError('ConditionalCheckFailedException', 'The conditional request failed');
    }
  }

  readonly api: Record<string, (b: any) => unknown> = {
    PutItem: (b) => {
      const t = this.table(b.TableName);
      const item = unmarshall(b.Item);
      const size = Object.entries(b.Item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v)), 0);
      if (size > MAX_ITEM_BYTES) throw new AwsError('ValidationException', 'Item size has exceeded the maximum allowed size');
      const key = this.key(t.spec, item);
      this.check(b.ConditionExpression, t.items.get(key), b);
      t.items.set(key, item);
      return {};
    },
    GetItem: (b) => {
      const t = this.table(b.TableName);
      const item = t.items.get(this.key(t.spec, unmarshall(b.Key)));
      return item ? { Item: marshall(item) } : {};
    },
    DeleteItem: (b) => {
      const t = this.table(b.TableName);
      const key = this.key(t.spec, unmarshall(b.Key));
      const old = t.items.get(key);
      this.check(b.ConditionExpression, old, b);
      t.items.delete(key);
      return old && b.ReturnValues === 'ALL_OLD' ? { Attributes: marshall(old) } : {};
    },
    Query: (b) => {
      const t = this.table(b.TableName);
      const sortKey = b.IndexName ? t.spec.indexes?.[b.IndexName] : t.spec.sortKey;
      if (!sortKey) throw new AwsError('ValidationException', `The table does not have the specified index: ${b.IndexName}`);
      const names = b.ExpressionAttributeNames ?? {};
      const values = unmarshall(b.ExpressionAttributeValues ?? {});
      const m = /^\s*(#\w+|\w+)\s*=\s*(:\w+)\s*$/.exec(b.KeyConditionExpression ?? '');
      if (!m || (names[m[1]] ?? m[1]) !== t.spec.partitionKey) throw new AwsError('ValidationException', `fake Query supports only '<partition key> = :value', got ${b.KeyConditionExpression}`);
      const forward = b.ScanIndexForward !== false;
      const rows = [...t.items.values()]
        .filter((i) => i[t.spec.partitionKey] === values[m[2]])
        .sort((x, y) => (String(x[sortKey]) < String(y[sortKey]) ? -1 : String(x[sortKey]) > String(y[sortKey]) ? 1 : 0) * (forward ? 1 : -1));
      const start = b.ExclusiveStartKey ? rows.findIndex((r) => this.key(t.spec, r) === this.key(t.spec, unmarshall(b.ExclusiveStartKey))) + 1 : 0;
      const page = rows.slice(start, b.Limit ? start + b.Limit : undefined);
      const project = (r: Item) => (b.IndexName ? { [t.spec.partitionKey]: r[t.spec.partitionKey], [t.spec.sortKey]: r[t.spec.sortKey], [sortKey]: r[sortKey] } : r);
      const more = start + page.length < rows.length;
      return { Items: page.map((r) => marshall(project(r))), Count: page.length, ...(more ? { LastEvaluatedKey: marshall(project(page[page.length - 1])) } : {}) };
    },
  };
}

/**
 * A condition expression of the forms the handlers use: `attribute_exists(a)`,
 * `attribute_not_exists(a)`, `a = :v`, `a <> :v`, joined with AND / OR (AND binds tighter).
 * Anything else throws, so that a handler never relies on what the fake does not check.
 */
function evaluate(expression: string, item: Item, names: Record<string, string>, values: Values): boolean {
  const name = (token: string) => names[token] ?? token;
  const term = (text: string): boolean => {
    const t = text.trim();
    let m = /^attribute_(not_)?exists\(\s*(#?\w+)\s*\)$/.exec(t);
    if (m) return (name(m[2]) in item) !== Boolean(m[1]);
    m = /^(#?\w+)\s*(=|<>)\s*(:\w+)$/.exec(t);
    if (m) {
      if (!(m[3] in values)) throw new AwsError('ValidationException', `An expression attribute value used in expression is not defined; attribute value: ${m[3]}`);
      const equal = JSON.stringify(item[name(m[1])]) === JSON.stringify(values[m[3]]);
      return m[2] === '=' ? equal : !equal;
    }
    throw new AwsError('ValidationException', `fake DynamoDB does not support the condition '${t}'`);
  };
  return expression.split(/\s+OR\s+/).some((alternative) => alternative.split(/\s+AND\s+/).every(term));
}
