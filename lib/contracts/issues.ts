/**
 * One wording for every schema problem, at synth (lib/) and at run time (lambda/): each issue as
 * `path: what was expected` (`users[0].passwordSecret: required`, `services[2].containers:
 * expected object, got array`), all of them at once. Values are never printed, only their type:
 * an input may hold what should not reach a log.
 */
import type * as z from 'zod';

/**
 * Parses with a contract's schema: the value, or every problem worded as above. (zod keeps each
 * issue's input here, `reportInput`, so a missing field reads `required`, never printed.)
 */
export function parseContract<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; problems: string[] } {
  const parsed = schema.safeParse(value, { reportInput: true });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: describeIssues(parsed.error) };
}

/** `users[0].passwordSecret`; a key that is not a plain name is quoted: `containers["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (/^[A-Za-z_$][\w$-]*$/.test(name)) return i === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

/** JSON's names for what a value is (`null` and `array` apart from `object`). */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** What the issue expected, in the words of docs and the deploy file. */
function expectation(issue: z.core.$ZodIssue): string {
  // An absent field (no input) fails as a wrong type, or as a wrong value for an enum or literal.
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'required';
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected === 'record' ? 'object' : issue.expected === 'int' ? 'integer' : issue.expected;
      return `expected ${expected}, got ${typeOf(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'expected a non-empty string';
      return `expected ${issue.origin === 'array' ? 'at least' : issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}`;
    case 'too_big':
      return `expected ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}`;
    case 'invalid_format':
      if (issue.format === 'regex' && 'pattern' in issue) return `expected a value matching ${issue.pattern}`;
      // A schema's own message (e.g. "expected PEM certificates") says more than the format's name.
      return /^Invalid/.test(issue.message) ? `expected ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}

/** Every problem of a failed parse, one `path: expectation` each (an unknown field: `path.key: unknown field`). */
function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field`);
    const path = formatPath(issue.path);
    return [path ? `${path}: ${expectation(issue)}` : expectation(issue)];
  });
}
