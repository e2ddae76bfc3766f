import type * as z from 'zod';
import { StepFailure } from './job';
import { parseWith } from './params';

const REDEPLOY = 'redeploy the pipeline stack';

/**
 * Parses a versioned JSON document that the stack wrote to SSM (deployment model, broker
 * configuration, maintenance and warm-up configuration). The version is checked first: a value
 * that is not JSON, has another version or does not match the schema is a stack/handler
 * mismatch, and the fix is to redeploy the pipeline stack. (Without a schema, only the version is
 * checked: the broker configuration's caller, until it has one.)
 */
export function parseStackJson<T extends { v: number }>(what: string, name: string, value: string | undefined, version: number, schema?: z.ZodType<T>): T {
  let doc: T;
  try {
    doc = JSON.parse(value ?? '');
  } catch {
    throw new StepFailure(`${what} ${name} is not JSON: ${REDEPLOY}`, 'ConfigurationError');
  }
  if (doc?.v !== version) {
    throw new StepFailure(`${what} ${name} has version ${JSON.stringify(doc?.v)}, this handler reads version ${version}: ${REDEPLOY}`, 'ConfigurationError');
  }
  return schema ? parseWith(schema, doc, `${what} ${name} is invalid`, REDEPLOY) : doc;
}
