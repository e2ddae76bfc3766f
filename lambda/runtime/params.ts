import * as z from 'zod';
import { parseContract } from '../../lib/contracts/issues';
import { StepFailure, type StepFailureType } from './job';

/**
 * Parses a value with its contract's schema, or fails with ONE StepFailure that lists every
 * problem as `path: what was expected` (`<what>: users[0].passwordSecret: required;
 * services[2].containers: expected object, got array (<fix>)`). The caller parses before it
 * reads or writes anything else, so a bad input changes nothing.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string, fix: string, type: StepFailureType = 'ConfigurationError'): z.output<S> {
  const parsed = parseContract(schema, value);
  if (parsed.ok) return parsed.value;
  throw new StepFailure(`${what}: ${parsed.problems.join('; ')} (${fix})`, type);
}

/**
 * A step's UserParameters: a wrong parameter is a pipeline definition bug (the stack and the
 * handler disagree, or the action was edited by hand), not a deployment failure.
 */
export function parseParams<S extends z.ZodType>(step: string, raw: unknown, schema: S): z.output<S> {
  return parseWith(schema, raw, `${step}: invalid UserParameters`, 'the pipeline stack writes them: redeploy it, or undo a hand edit of the action');
}
