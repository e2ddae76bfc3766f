import { diffSchema, readSchema } from '../../lib/release-diff';
import { schemaXml } from './shop-repo';

const ID = '<column name="id" type="INTEGER" primaryKey="true" autoIncrement="true"/>';
const schema = (...columns: string[]) => readSchema(new Map([['a.schema.xml', schemaXml({ spy_t: [ID, ...columns] })]]));
const change = (before: string[], after: string[]) => diffSchema(schema(...before), schema(...after));

describe('Propel schema risk', () => {
  test.each([
    ['VARCHAR size decreased', '<column name="c" type="VARCHAR" size="255"/>', '<column name="c" type="VARCHAR" size="64"/>', 'type narrowed VARCHAR(255) → VARCHAR(64)'],
    ['VARCHAR without size is 255', '<column name="c" type="VARCHAR"/>', '<column name="c" type="VARCHAR" size="100"/>', 'type narrowed VARCHAR → VARCHAR(100)'],
    ['INTEGER to SMALLINT', '<column name="c" type="INTEGER"/>', '<column name="c" type="SMALLINT"/>', 'type narrowed INTEGER → SMALLINT'],
    ['LONGVARCHAR to VARCHAR', '<column name="c" type="LONGVARCHAR"/>', '<column name="c" type="VARCHAR" size="255"/>', 'type narrowed LONGVARCHAR → VARCHAR(255)'],
    ['DECIMAL scale decreased', '<column name="c" type="DECIMAL" size="10" scale="4"/>', '<column name="c" type="DECIMAL" size="10" scale="2"/>', 'type narrowed DECIMAL(10,4) → DECIMAL(10,2)'],
    ['another type family', '<column name="c" type="VARCHAR"/>', '<column name="c" type="INTEGER"/>', 'type changed VARCHAR → INTEGER'],
    ['ENUM value removed', '<column name="c" type="ENUM" valueSet="a, b"/>', '<column name="c" type="ENUM" valueSet="a"/>', 'type narrowed ENUM → ENUM'],
    ['existing column made NOT NULL without default', '<column name="c" type="INTEGER"/>', '<column name="c" type="INTEGER" required="true"/>', 'now NOT NULL without default'],
    ['default removed from a NOT NULL column', '<column name="c" type="INTEGER" required="true" defaultValue="0"/>', '<column name="c" type="INTEGER" required="true"/>', 'default 0 removed from a NOT NULL column'],
  ])('breaking: %s', (_, before, after, text) => {
    expect(change([before], [after])).toEqual({ risk: 'breaking', breaking: [{ table: 'spy_t', column: 'c', change: text }], additive: [] });
  });

  test('breaking: a new NOT NULL column without default', () => {
    expect(change([], ['<column name="c" type="INTEGER" required="true"/>']).breaking).toEqual([{ table: 'spy_t', column: 'c', change: 'column added NOT NULL without default' }]);
  });

  test.each([
    ['a new NOT NULL column with default', [], ['<column name="c" type="BOOLEAN" required="true" defaultValue="false"/>'], 'column added (BOOLEAN, NOT NULL default false)'],
    ['a widened VARCHAR', ['<column name="c" type="VARCHAR" size="64"/>'], ['<column name="c" type="VARCHAR" size="255"/>'], 'type widened VARCHAR(64) → VARCHAR(255)'],
    ['SMALLINT to BIGINT', ['<column name="c" type="SMALLINT"/>'], ['<column name="c" type="BIGINT"/>'], 'type widened SMALLINT → BIGINT'],
    ['a column made nullable', ['<column name="c" type="INTEGER" required="true"/>'], ['<column name="c" type="INTEGER"/>'], 'now nullable'],
    ['NOT NULL with a default', ['<column name="c" type="INTEGER"/>'], ['<column name="c" type="INTEGER" required="true" defaultValue="1"/>'], 'now NOT NULL with default 1'],
  ])('additive: %s', (_, before, after, text) => {
    expect(change(before, after)).toEqual({ risk: 'additive', breaking: [], additive: [{ table: 'spy_t', column: 'c', change: text }] });
  });

  test('attributes that do not touch the data (phpName, description) are no change', () => {
    expect(change(['<column name="c" type="INTEGER"/>'], ['<column name="c" type="INTEGER" phpName="See" description="a &amp; b"/>']).risk).toBe('none');
  });

  test('a table extended in a second schema file merges its columns, as Propel does', () => {
    const s = readSchema(
      new Map([
        ['a.schema.xml', schemaXml({ spy_t: [ID] })],
        ['b.schema.xml', schemaXml({ spy_t: ['<column name="extra" type="INTEGER"/>'] })],
      ]),
    );
    expect([...s.get('spy_t')!.keys()]).toEqual(['id', 'extra']);
  });

  test('an unreadable schema fails naming every file and why', () => {
    expect(() =>
      readSchema(
        new Map([
          ['a.schema.xml', '<database><table name="t"><column name="c"></table></database>'],
          ['b.schema.xml', '<tables/>'],
        ]),
      ),
    ).toThrow(
      'unreadable Propel schema: a.schema.xml: malformed XML at line 1, column 44: a tag is malformed, not closed, or closed out of order; b.schema.xml: the root element is <tables>, a Propel schema has <database>',
    );
  });

  test('comments, CDATA, single quotes, self-closing columns and entities in attribute values read as Propel means them', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- <table name="commented_out"><column name="x"/></table> -->
<database name='zed' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <table name='spy_quote' phpName="Quote">
        <![CDATA[ <column name="in_cdata" type="INTEGER"/> ]]>
        <column name='id_quote' type='INTEGER' primaryKey='true' autoIncrement='true'/>
        <!-- <column name="commented" type="INTEGER" required="true"/> -->
        <column name="label" type="VARCHAR" size="64" defaultValue="Tom &amp; Jerry &lt;&quot;&apos;&gt;" description='it&apos;s "quoted"'/>
        <column name="notes" type="LONGVARCHAR"></column>
    </table>
    <table name="spy_single"><column name="only" type="ENUM" valueSet="a, b"/></table>
</database>
`;
    const s = readSchema(new Map([['quote.schema.xml', xml]]));
    expect([...s.keys()]).toEqual(['spy_quote', 'spy_single']);
    expect([...s.get('spy_quote')!.keys()]).toEqual(['id_quote', 'label', 'notes']);
    expect(s.get('spy_quote')!.get('id_quote')).toMatchObject({ type: 'INTEGER', primaryKey: true, autoIncrement: true, required: true });
    expect(s.get('spy_quote')!.get('label')).toMatchObject({ type: 'VARCHAR', size: 64, required: false, default: 'Tom & Jerry <"\'>' });
    expect(s.get('spy_single')!.get('only')).toMatchObject({ type: 'ENUM', valueSet: ['a', 'b'] });
  });

  test('a table with no columns, and a database with no tables, read as empty', () => {
    const s = readSchema(new Map([['a.schema.xml', '<database name="zed"><table name="spy_empty"/></database>'], ['b.schema.xml', '<database/>']]));
    expect([...s.entries()]).toEqual([['spy_empty', new Map()]]);
  });

  const SECRET = 'hunter2-do-not-print';
  test.each([
    ['an unclosed element', `<database><table name="${SECRET}">`, 'malformed XML at line 1, column 1: not a well-formed document'],
    ['an unquoted attribute', `<database>\n<table name=${SECRET}/></database>`, 'malformed XML at line 2, column 8: an attribute is malformed'],
    ['a repeated attribute', `<database><table name="a" name="${SECRET}"/></database>`, 'malformed XML at line 1, column 27: an attribute is malformed'],
    ['text after the root', `<database></database>${SECRET}`, 'malformed XML at line 1, column 22: not a well-formed document'],
    ['an empty file', '', 'malformed XML at line 1: not a well-formed document'],
    ['two roots', `<database/><database name="${SECRET}"/>`, 'expected one root element, found 2'],
    ['a closing tag out of order', `<database><table name="${SECRET}"></database></table>`, 'malformed XML at line 1, column 46: a tag is malformed, not closed, or closed out of order'],
  ])('malformed XML fails naming the file and where, never quoting it: %s', (_, xml, text) => {
    let message = '';
    try {
      readSchema(new Map([['src/Pyz/Zed/Foo/Persistence/Propel/Schema/spy_foo.schema.xml', xml]]));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`unreadable Propel schema: src/Pyz/Zed/Foo/Persistence/Propel/Schema/spy_foo.schema.xml: ${text}`);
    expect(message).not.toContain(SECRET);
    expect(message).not.toMatch(/\n\s+at /);
  });

  test('DOCTYPE entities do not nest (no billion laughs) and are capped in number', () => {
    const laughs = Array.from({ length: 20 }, (_, i) => `<!ENTITY e${i} "${i ? `&e${i - 1};`.repeat(10) : 'lol'}">`).join('');
    const bomb = readSchema(new Map([['bomb.schema.xml', `<!DOCTYPE database [${laughs}]><database><table name="&e19;"/></database>`]]));
    expect([...bomb.keys()]).toEqual(['&e19;']);
    const many = Array.from({ length: 11 }, (_, i) => `<!ENTITY e${i} "x">`).join('');
    expect(() => readSchema(new Map([['many.schema.xml', `<!DOCTYPE database [${many}]><database/>`]]))).toThrow(
      'unreadable Propel schema: many.schema.xml: the XML parser rejected it (a DOCTYPE or entity it does not accept, or nesting too deep)',
    );
  });
});
