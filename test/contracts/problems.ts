import type * as z from 'zod';
import { parseContract } from '../../lib/contracts/issues';

/** The problems a schema finds in a value, as handlers and the synth word them (fails the test when there are none). */
export function problems(schema: z.ZodType, value: unknown): string[] {
  const parsed = parseContract(schema, value);
  if (parsed.ok) throw new Error(`expected problems, the value is valid: ${JSON.stringify(value)}`);
  return parsed.problems;
}
