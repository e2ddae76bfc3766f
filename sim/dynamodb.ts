/**
 * A stateful fake of the DynamoDB calls the handlers make (Powertools idempotency, the step
 * records, the release history): PutItem, GetItem, UpdateItem, DeleteItem with real conditional
 * semantics, and Query (partition key equality, table or KEYS_ONLY index order, Limit, pagination).
 * Each request is applied at once (the fake server handles requests concurrently, each one
 * atomically), so of two conditional writes in flight exactly one wins, the other gets
 * ConditionalCheckFailedException (with the old item when ReturnValuesOnConditionCheckFailure is
 * ALL_OLD). Like DynamoDB, expired items stay readable until TTL deletes them (here: never).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';

type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; M?: Record<string, AttributeValue>; L?: AttributeValue[] };
type Item = Record<string, AttributeValue>;

/** A table's key schema: a partition key, optionally a sort key and KEYS_ONLY indexes (name → sort key). */
export interface FakeTableSpec {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes?: Record<string, string>;
}

export class DynamoDbError extends Error {
  constructor(readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

interface Names {
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
}

/** Evaluates a condition expression: attribute_exists/attribute_not_exists, comparisons, AND/OR/NOT, parentheses. */
export function evaluateCondition(expression: string, item: Item | undefined, ctx: Names): boolean {
  const tokens = expression.match(/\(|\)|,|<>|<=|>=|=|<|>|[#:]?[A-Za-z0-9_.]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new DynamoDbError('ValidationException', `Invalid ConditionExpression: expected ${t} in ${expression}`);
  };
  const name = (t: string) => (t.startsWith('#') ? ctx.names[t] : t);
  const operand = (t: string): AttributeValue | undefined => {
    if (t.startsWith(':')) {
      if (!(t in ctx.values)) throw new DynamoDbError('ValidationException', `An expression attribute value used in expression is not defined: ${t}`);
      return ctx.values[t];
    }
    const n = name(t);
    if (n === undefined) throw new DynamoDbError('ValidationException', `An expression attribute name used in the document path is not defined: ${t}`);
    return item?.[n];
  };
  const compare = (a: AttributeValue | undefined, op: string, b: AttributeValue | undefined): boolean => {
    if (!a || !b) return op === '<>' ? a !== b : false;
    const [x, y] = a.N !== undefined && b.N !== undefined ? [Number(a.N), Number(b.N)] : [JSON.stringify(a), JSON.stringify(b)];
    if (a.S !== undefined && b.S !== undefined) return cmp(a.S, op, b.S);
    return cmp(x, op, y);
  };
  const cmp = <T>(x: T, op: string, y: T) =>
    ({ '=': x === y, '<>': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y })[op] ?? false;
  const primary = (): boolean => {
    const t = next();
    if (t === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t === 'NOT') return !primary();
    if (t === 'attribute_exists' || t === 'attribute_not_exists') {
      expect('(');
      const path = name(next());
      expect(')');
      const exists = item !== undefined && path in item;
      return t === 'attribute_exists' ? exists : !exists;
    }
    const op = next();
    return compare(operand(t), op, operand(next()));
  };
  const and = (): boolean => {
    let v = primary();
    while (peek() === 'AND') {
      next();
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === 'OR') {
      next();
      v = and() || v;
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw new DynamoDbError('ValidationException', `Invalid ConditionExpression: unexpected ${peek()} in ${expression}`);
  return result;
}

export class FakeDynamoDb {
  /** Items by key: the partition key's value, or `[partition, sort]` as JSON with a sort key. */
  readonly tables = new Map<string, Map<string, Item>>();
  private readonly specs = new Map<string, FakeTableSpec>();

  createTable(name: string, key: string | FakeTableSpec = 'id'): this {
    this.tables.set(name, new Map());
    this.specs.set(name, typeof key === 'string' ? { partitionKey: key } : key);
    return this;
  }

  /** The items of a table as DynamoDB stores them (test helper). */
  items(table: string): Item[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  /** The items of a table as plain objects (test helper). */
  records(table: string): Record<string, unknown>[] {
    return this.items(table).map((i) => unmarshall(i as never));
  }

  private table(b: { TableName?: string }): { items: Map<string, Item>; spec: FakeTableSpec } {
    const items = this.tables.get(b.TableName ?? '');
    if (!items) throw new DynamoDbError('ResourceNotFoundException', 'Requested resource not found');
    return { items, spec: this.specs.get(b.TableName!)! };
  }

  private static keyNames(spec: FakeTableSpec): string[] {
    return spec.sortKey ? [spec.partitionKey, spec.sortKey] : [spec.partitionKey];
  }

  /** The storage key of a Key argument (exactly the key attributes, as DynamoDB insists). */
  private keyOf(spec: FakeTableSpec, k: Item | undefined): string {
    const names = FakeDynamoDb.keyNames(spec);
    const values = names.map((n) => k?.[n]?.S);
    if (values.some((v) => !v) || Object.keys(k!).length !== names.length) {
      throw new DynamoDbError('ValidationException', 'The provided key element does not match the schema');
    }
    return spec.sortKey ? JSON.stringify(values) : values[0]!;
  }

  private keyOfItem(spec: FakeTableSpec, item: Item | undefined): string {
    return this.keyOf(spec, item && Object.fromEntries(FakeDynamoDb.keyNames(spec).map((n) => [n, item[n]])));
  }

  /** Throws ConditionalCheckFailedException unless the condition holds for the current item. */
  private check(b: any, current: Item | undefined) {
    if (!b.ConditionExpression) return;
    const ok = evaluateCondition(b.ConditionExpression, current, { names: b.ExpressionAttributeNames ?? {}, values: b.ExpressionAttributeValues ?? {} });
    if (!ok) {
      throw new DynamoDbError('ConditionalCheckFailedException', 'The conditional request failed', b.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current ? { Item: current } : {});
    }
  }

  private static size(item: Item): number {
    return Object.entries(item).reduce((n, [k, v]) => n + k.length + JSON.stringify(v).length, 0);
  }

  readonly api: Record<string, (b: any) => unknown> = {
    PutItem: (b) => {
      const { items, spec } = this.table(b);
      const id = this.keyOfItem(spec, b.Item);
      if (FakeDynamoDb.size(b.Item) > MAX_ITEM_BYTES) throw new DynamoDbError('ValidationException', 'Item size has exceeded the maximum allowed size');
      const current = items.get(id);
      this.check(b, current);
      items.set(id, structuredClone(b.Item));
      return b.ReturnValues === 'ALL_OLD' && current ? { Attributes: current } : {};
    },
    GetItem: (b) => {
      const { items, spec } = this.table(b);
      const item = items.get(this.keyOf(spec, b.Key));
      return item ? { Item: item } : {};
    },
    DeleteItem: (b) => {
      const { items, spec } = this.table(b);
      const id = this.keyOf(spec, b.Key);
      const current = items.get(id);
      this.check(b, current);
      items.delete(id);
      return b.ReturnValues === 'ALL_OLD' && current ? { Attributes: current } : {};
    },
    UpdateItem: (b) => {
      const { items, spec } = this.table(b);
      const id = this.keyOf(spec, b.Key);
      const current = items.get(id);
      this.check(b, current);
      const next: Item = structuredClone(current ?? b.Key);
      const names = b.ExpressionAttributeNames ?? {};
      const values = b.ExpressionAttributeValues ?? {};
      const match = /^\s*SET\s+(.+)$/i.exec(b.UpdateExpression ?? '');
      if (!match) throw new DynamoDbError('ValidationException', `fake supports SET update expressions only, got ${b.UpdateExpression}`);
      for (const assignment of match[1].split(',')) {
        const [path, value] = assignment.split('=').map((s: string) => s.trim());
        const attribute = path.startsWith('#') ? names[path] : path;
        if (!(value in values)) throw new DynamoDbError('ValidationException', `An expression attribute value used in expression is not defined: ${value}`);
        next[attribute] = values[value];
      }
      if (FakeDynamoDb.size(next) > MAX_ITEM_BYTES) throw new DynamoDbError('ValidationException', 'Item size has exceeded the maximum allowed size');
      items.set(id, next);
      return b.ReturnValues === 'ALL_NEW' ? { Attributes: next } : {};
    },
    Query: (b) => {
      const { items, spec } = this.table(b);
      const sortKey = b.IndexName ? spec.indexes?.[b.IndexName] : spec.sortKey;
      if (!sortKey) throw new DynamoDbError('ValidationException', `The table does not have the specified index: ${b.IndexName}`);
      const names = b.ExpressionAttributeNames ?? {};
      const m = /^\s*(#\w+|\w+)\s*=\s*(:\w+)\s*$/.exec(b.KeyConditionExpression ?? '');
      if (!m || (names[m[1]] ?? m[1]) !== spec.partitionKey) {
        throw new DynamoDbError('ValidationException', `fake Query supports only '<partition key> = :value', got ${b.KeyConditionExpression}`);
      }
      const partition = JSON.stringify(b.ExpressionAttributeValues?.[m[2]]);
      const order = (i: Item) => i[sortKey]?.N ?? i[sortKey]?.S ?? '';
      const sortValue = (i: Item) => (i[sortKey]?.N !== undefined ? Number(i[sortKey].N) : order(i));
      const direction = b.ScanIndexForward === false ? -1 : 1;
      const rows = [...items.values()]
        .filter((i) => JSON.stringify(i[spec.partitionKey]) === partition && i[sortKey] !== undefined)
        .sort((x, y) => (sortValue(x) < sortValue(y) ? -1 : sortValue(x) > sortValue(y) ? 1 : 0) * direction);
      // An index projects the keys only (KEYS_ONLY).
      const project = (i: Item): Item => (b.IndexName ? Object.fromEntries([...FakeDynamoDb.keyNames(spec), sortKey].map((n) => [n, i[n]])) : i);
      const start = b.ExclusiveStartKey ? rows.findIndex((r) => this.keyOfItem(spec, r) === this.keyOfItem(spec, b.ExclusiveStartKey)) + 1 : 0;
      const page = rows.slice(start, b.Limit ? start + b.Limit : undefined);
      const more = start + page.length < rows.length;
      return { Items: page.map(project), Count: page.length, ...(more ? { LastEvaluatedKey: project(page[page.length - 1]) } : {}) };
    },
  };
}
