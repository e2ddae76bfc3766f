/** The one wording of schema problems (lib/contracts/issues.ts): `path: what was expected`, every problem, never a value. */
import * as z from 'zod';
import { formatPath, parseContract } from '../../lib/contracts/issues';
import { problems } from './problems';

test('paths: names dotted, indices in brackets, other keys quoted', () => {
  expect(formatPath(['users', 0, 'passwordSecret'])).toBe('users[0].passwordSecret');
  expect(formatPath(['services', 2, 'containers', 'backend-gateway'])).toBe('services[2].containers.backend-gateway');
  expect(formatPath(['containers', 'a b', 'x.y'])).toBe('containers["a b"]["x.y"]');
  expect(formatPath([3])).toBe('[3]');
  expect(formatPath([])).toBe('');
});

test('each kind of problem in its words, all at once, in schema order', () => {
  const schema = z.strictObject({
    name: z.string().min(1),
    list: z.array(z.object({ key: z.string() })),
    few: z.array(z.string()).max(2),
    mode: z.enum(['on', 'off']),
    v: z.literal(3),
    count: z.number().int().min(2),
    ratio: z.number().positive(),
    page: z.string().max(4),
    map: z.record(z.string(), z.string()),
    hash: z.string().regex(/^[0-9a-f]+$/),
    tags: z.array(z.string()).min(1),
  });
  expect(
    problems(schema, { name: '', list: [{}, null, { key: 1 }], few: ['a', 'b', 'c'], mode: 'maybe', v: 2, count: 1.5, ratio: 0, page: 'too long', map: [], hash: 'XYZ', tags: [], extra: 'secret-value' }),
  ).toEqual([
    'name: expected a non-empty string',
    'list[0].key: required',
    'list[1]: expected object, got null',
    'list[2].key: expected string, got number',
    'few: expected at most 2 item(s)',
    'mode: expected one of "on", "off"',
    'v: expected 3',
    'count: expected integer, got number',
    'ratio: expected more than 0',
    'page: expected at most 4 character(s)',
    'map: expected object, got array',
    'hash: expected a value matching /^[0-9a-f]+$/',
    'tags: expected at least 1 item(s)',
    'extra: unknown field',
  ]);
});

test('an absent field is "required", whatever its type; a value is never printed', () => {
  const schema = z.object({ a: z.string(), b: z.enum(['x', 'y']), c: z.literal(1), d: z.object({}) });
  expect(problems(schema, {})).toEqual(['a: required', 'b: required', 'c: required', 'd: required']);
  expect(problems(schema, { a: 'hunter2', b: 'hunter2', c: 'hunter2', d: 'hunter2' }).join('; ')).not.toContain('hunter2');
});

test('a wrong top level has no path', () => {
  expect(problems(z.object({ a: z.string() }), 'text')).toEqual(['expected object, got string']);
  expect(problems(z.object({ a: z.string() }), [])).toEqual(['expected object, got array']);
});

test('a valid value comes back parsed (defaults applied)', () => {
  expect(parseContract(z.object({ v: z.literal(1).default(1), a: z.string() }), { a: 'x' })).toEqual({ ok: true, value: { v: 1, a: 'x' } });
});
