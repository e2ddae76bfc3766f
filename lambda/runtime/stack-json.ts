import { StepFailure } from './job';

/**
 * Parses a versioned JSON document that the stack wrote to SSM (deployment model, broker
 * configuration, maintenance configuration). A value that is not JSON or has another version is
 * a stack/handler mismatch: the fix is to redeploy the pipeline stack.
 */
export function parseStackJson<T extends { v: number }>(what: string, name: string, value: string | undefined, version: number): T {
  let doc: T;
  try {
    doc = JSON.parse(value ?? '');
  } catch {
    throw new StepFailure(`${what} ${name} is not JSON: redeploy the pipeline stack`, 'ConfigurationError');
  }
  if (doc?.v !== version) {
    throw new StepFailure(
      `${what} ${name} has version ${JSON.stringify(doc?.v)}, this handler reads ${version}: redeploy the pipeline stack`,
      'ConfigurationError',
    );
  }
  return doc;
}
