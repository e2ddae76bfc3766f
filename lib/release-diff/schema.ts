/**
 * Propel schema risk. A Spryker release migrates the database in Run_install (propel:install),
 * while the previous release's services keep running until Deploy_Spryker_services: for that
 * window the database is V2 and the code is V1. Added tables and columns (nullable or with a
 * default) and widened types are safe for V1 code; removed or renamed tables and columns,
 * narrowed types and NOT NULL columns without default break it.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { SchemaChange, SchemaRisk } from './types';

export interface Column {
  readonly name: string;
  /** Upper case Propel type, e.g. VARCHAR, INTEGER. */
  readonly type: string;
  readonly size?: number;
  readonly scale?: number;
  readonly required: boolean;
  readonly primaryKey: boolean;
  readonly autoIncrement: boolean;
  /** `defaultValue`, `defaultExpr` (or `default`). */
  readonly default?: string;
  /** ENUM/SET values. */
  readonly valueSet?: string[];
}

/** Table name → column name → column, merged over every schema file of one version. */
export type Schema = Map<string, Map<string, Column>>;

const bool = (v: string | undefined) => v?.toLowerCase() === 'true';
const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** One parsed element: its attributes under `@`, the children we read as arrays. */
interface Element {
  readonly '@'?: Readonly<Record<string, string>>;
  readonly table?: readonly (Element | string)[];
  readonly column?: readonly (Element | string)[];
}

/** fast-xml-parser gives an element without attributes or children as its (empty) text. */
const element = (node: unknown): Element => (typeof node === 'object' && node !== null ? node : {});

const parser = new XMLParser({
  ignoreAttributes: false,
  // Grouped under a name no element can have, so an attribute never meets a child of that name.
  attributesGroupName: '@',
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Arrays even for one <table> or <column>; attributes stay strings.
  isArray: (_name, jPath, _leaf, isAttribute) => !isAttribute && (jPath === 'database.table' || jPath === 'database.table.column'),
  // The five XML entities are what schema files use. fast-xml-parser drops DOCTYPE entities that
  // refer to others (no nesting, so no billion laughs); the flat ones are capped in number and size.
  processEntities: { enabled: true, maxEntityCount: 10, maxEntitySize: 1_000, maxTotalExpansions: 10_000, maxExpandedLength: 100_000 },
});

/** The validator's codes, worded without its messages: those quote the file's own text. */
const PROBLEMS: Record<string, string> = {
  InvalidTag: 'a tag is malformed, not closed, or closed out of order',
  InvalidAttr: 'an attribute is malformed, unquoted, without a value, or repeated',
  InvalidChar: 'a character is not allowed there',
  InvalidXml: 'not a well-formed document (no root element, an element left open, or text after the root)',
};

/** The <database> element of one schema file, or why not (never a stack trace, never the file's text). */
function parseDatabase(xml: string): Element | string {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { code, line, col } = valid.err;
    return `malformed XML at line ${line}${col === undefined ? '' : `, column ${col}`}: ${PROBLEMS[code] ?? 'not well-formed'}`;
  }
  let document: Record<string, unknown>;
  try {
    document = parser.parse(xml);
  } catch {
    return 'the XML parser rejected it (a DOCTYPE or entity it does not accept, or nesting too deep)';
  }
  // Two roots of one name arrive as one array.
  const roots = Object.entries(document).flatMap(([name, value]) => (Array.isArray(value) ? value.map(() => name) : [name]));
  if (roots.length !== 1) return `expected one root element, found ${roots.length}`;
  if (roots[0] !== 'database') return `the root element is <${roots[0]}>, a Propel schema has <database>`;
  return element(document.database);
}

/** Reads schema files (path → XML) into one schema; Spryker merges a table's columns over files, so do we. */
export function readSchema(files: ReadonlyMap<string, string>): Schema {
  const schema: Schema = new Map();
  const problems: string[] = [];
  for (const [path, xml] of files) {
    const database = parseDatabase(xml);
    if (typeof database === 'string') {
      problems.push(`${path}: ${database}`);
      continue;
    }
    for (const table of (database.table ?? []).map(element)) {
      const name = table['@']?.name;
      if (!name) {
        problems.push(`${path}: a <table> without name`);
        continue;
      }
      const columns = schema.get(name) ?? new Map<string, Column>();
      schema.set(name, columns);
      for (const c of (table.column ?? []).map(element)) {
        const a = c['@'] ?? {};
        if (!a.name) {
          problems.push(`${path}: a <column> of ${name} without name`);
          continue;
        }
        columns.set(a.name, {
          name: a.name,
          type: (a.type ?? 'VARCHAR').toUpperCase(),
          size: num(a.size),
          scale: num(a.scale),
          required: bool(a.required) || bool(a.primaryKey),
          primaryKey: bool(a.primaryKey),
          autoIncrement: bool(a.autoIncrement),
          default: a.defaultValue ?? a.defaultExpr ?? a.default,
          valueSet: a.valueSet?.split(',').map((v) => v.trim()),
        });
      }
    }
  }
  if (problems.length) throw new Error(`unreadable Propel schema: ${problems.join('; ')}`);
  return schema;
}

const INTEGERS = ['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'];
const FLOATS = ['REAL', 'FLOAT', 'DOUBLE'];
const TEXTS = ['CHAR', 'VARCHAR', 'LONGVARCHAR', 'CLOB'];
const DECIMALS = ['DECIMAL', 'NUMERIC'];

/** Propel's VARCHAR default size; LONGVARCHAR is MySQL/PostgreSQL TEXT. */
function textCapacity(c: Column): number {
  if (c.type === 'CLOB') return Number.POSITIVE_INFINITY;
  if (c.type === 'LONGVARCHAR') return 65_535;
  return c.size ?? 255;
}

export function describeType(c: Column): string {
  if (c.size === undefined) return c.type;
  return `${c.type}(${c.size}${c.scale !== undefined ? `,${c.scale}` : ''})`;
}

/** `widened`, `narrowed`, `same`, or `changed` (another family: V1 code reads or writes a different kind of value). */
export function compareTypes(a: Column, b: Column): 'same' | 'widened' | 'narrowed' | 'changed' {
  if (describeType(a) === describeType(b) && a.valueSet?.join() === b.valueSet?.join()) return 'same';
  const rank = (family: string[]) => (family.includes(a.type) && family.includes(b.type) ? family.indexOf(b.type) - family.indexOf(a.type) : undefined);
  const order = (d: number) => (d > 0 ? 'widened' : d < 0 ? 'narrowed' : 'same');
  const integer = rank(INTEGERS) ?? rank(FLOATS);
  if (integer !== undefined) return order(integer);
  if (TEXTS.includes(a.type) && TEXTS.includes(b.type)) return order(textCapacity(b) - textCapacity(a));
  if (DECIMALS.includes(a.type) && DECIMALS.includes(b.type)) {
    const [p, s] = [(b.size ?? 10) - (a.size ?? 10), (b.scale ?? 0) - (a.scale ?? 0)];
    // Integer digits and fraction digits must both fit.
    return p - s < 0 || s < 0 ? 'narrowed' : p > 0 || s > 0 ? 'widened' : 'same';
  }
  if (a.type === b.type && a.valueSet && b.valueSet) {
    return a.valueSet.some((v) => !b.valueSet!.includes(v)) ? 'narrowed' : 'widened';
  }
  return 'changed';
}

export interface SchemaDiff {
  readonly risk: SchemaRisk;
  readonly breaking: SchemaChange[];
  readonly additive: SchemaChange[];
}

/** Classes the change from one schema to the next, naming tables and columns. */
export function diffSchema(from: Schema, to: Schema): SchemaDiff {
  const breaking: SchemaChange[] = [];
  const additive: SchemaChange[] = [];
  const addedTables = [...to.keys()].filter((t) => !from.has(t));
  for (const [table, before] of from) {
    const after = to.get(table);
    if (!after) {
      const hint = addedTables.length ? ` (or renamed: the release adds ${addedTables.join(', ')})` : '';
      breaking.push({ table, change: `table removed${hint}` });
      continue;
    }
    const addedColumns = [...after.keys()].filter((c) => !before.has(c));
    for (const [column, a] of before) {
      const b = after.get(column);
      if (!b) {
        const hint = addedColumns.length ? ` (or renamed: the release adds ${addedColumns.join(', ')})` : '';
        breaking.push({ table, column, change: `column removed${hint}` });
        continue;
      }
      columnChanges(table, a, b, breaking, additive);
    }
    for (const column of addedColumns) {
      const c = after.get(column)!;
      if (c.required && c.default === undefined && !c.autoIncrement) {
        breaking.push({ table, column, change: 'column added NOT NULL without default' });
      } else {
        additive.push({ table, column, change: `column added (${describeType(c)}${c.required ? `, NOT NULL default ${c.default}` : ', nullable'})` });
      }
    }
  }
  for (const table of addedTables) additive.push({ table, change: 'table added' });
  const risk: SchemaRisk = breaking.length ? 'breaking' : additive.length ? 'additive' : 'none';
  return { risk, breaking, additive };
}

function columnChanges(table: string, a: Column, b: Column, breaking: SchemaChange[], additive: SchemaChange[]): void {
  const types = compareTypes(a, b);
  const typeText = `${describeType(a)} → ${describeType(b)}`;
  if (types === 'narrowed') breaking.push({ table, column: a.name, change: `type narrowed ${typeText}` });
  else if (types === 'changed') breaking.push({ table, column: a.name, change: `type changed ${typeText}` });
  else if (types === 'widened') additive.push({ table, column: a.name, change: `type widened ${typeText}` });
  if (!a.required && b.required) {
    if (b.default === undefined) breaking.push({ table, column: a.name, change: 'now NOT NULL without default' });
    else additive.push({ table, column: a.name, change: `now NOT NULL with default ${b.default}` });
  } else if (a.required && !b.required) {
    additive.push({ table, column: a.name, change: 'now nullable' });
  } else if (b.required && a.default !== undefined && b.default === undefined && !b.autoIncrement) {
    breaking.push({ table, column: a.name, change: `default ${a.default} removed from a NOT NULL column` });
  } else if (a.default !== b.default) {
    additive.push({ table, column: a.name, change: `default ${a.default ?? 'none'} → ${b.default ?? 'none'}` });
  }
  if (a.primaryKey !== b.primaryKey) breaking.push({ table, column: a.name, change: b.primaryKey ? 'now part of the primary key' : 'no longer part of the primary key' });
}
