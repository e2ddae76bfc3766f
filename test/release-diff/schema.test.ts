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
    ).toThrow('unreadable Propel schema: a.schema.xml: </table> at offset 43 closes <column>; b.schema.xml: the root element is <tables>, a Propel schema has <database>');
  });
});
