import { StepFailure } from './job';

/** A field's type: a primitive (`?` = optional), the list of allowed string values, or `oneOf(values)` when it may be absent. */
type FieldSpec = 'string' | 'string?' | 'number' | 'number?' | 'boolean?' | 'object' | 'object?' | readonly string[] | OptionalOneOf;

interface OptionalOneOf {
  readonly optionalOneOf: readonly string[];
}

/** An optional field restricted to some string values. */
export const oneOf = (values: readonly string[]): OptionalOneOf => ({ optionalOneOf: values });

/**
 * Validates decoded UserParameters against a flat spec, reporting every problem at once as a
 * ConfigurationError: a wrong parameter is a pipeline definition bug, not a deployment failure.
 */
export function parseParams<P>(step: string, raw: unknown, spec: Record<keyof P & string, FieldSpec>): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StepFailure(`${step}: UserParameters must be a JSON object, got ${JSON.stringify(raw)}`, 'ConfigurationError');
  }
  const obj = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, type] of Object.entries(spec) as [string, FieldSpec][]) {
    const value = obj[key];
    if (typeof type === 'object' && 'optionalOneOf' in type) {
      if (value !== undefined && !type.optionalOneOf.includes(value as string)) {
        problems.push(`${key} must be absent or one of ${type.optionalOneOf.join(', ')}, got ${JSON.stringify(value)}`);
      }
      continue;
    }
    if (Array.isArray(type)) {
      if (!type.includes(value as string)) problems.push(`${key} must be one of ${type.join(', ')}, got ${JSON.stringify(value)}`);
      continue;
    }
    const t = type as string;
    const optional = t.endsWith('?');
    if (value === undefined && optional) continue;
    const base = t.replace('?', '');
    const ok = base === 'object' ? typeof value === 'object' && value !== null : typeof value === base && value !== '';
    if (!ok) problems.push(`${key} must be a non-empty ${base}, got ${JSON.stringify(value)}`);
  }
  if (problems.length) {
    throw new StepFailure(`${step}: invalid UserParameters: ${problems.join('; ')}`, 'ConfigurationError');
  }
  return obj as P;
}
