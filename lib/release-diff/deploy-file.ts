/**
 * What changed inside a docker-sdk deploy file: its top-level sections, the SPRYKER_HOOK_*
 * variables, and the broker sections (RabbitMQ desired state: `services.broker` and each store's
 * `regions.*.stores.*.services.broker`).
 */
import { parse } from 'yaml';
import { HOOK_VARIABLES } from '../config/types';

type Doc = Record<string, unknown> | undefined;

function load(text: string | undefined): Doc {
  if (text === undefined) return undefined;
  try {
    const doc = parse(text, { merge: true });
    return typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), o);
const keys = (...objects: unknown[]) => [...new Set(objects.flatMap((o) => (typeof o === 'object' && o !== null ? Object.keys(o) : [])))];

export interface DeployFileDiff {
  readonly sections: string[];
  readonly hooks: string[];
  /** Changed broker sections, e.g. `services.broker`, `regions.EU.stores.DE.services.broker`. */
  readonly broker: string[];
}

/** Changes between two versions of a deploy file; a side that does not parse counts as changed whole. */
export function diffDeployFile(from: string | undefined, to: string | undefined): DeployFileDiff {
  const [a, b] = [load(from), load(to)];
  const sections = keys(a, b).filter((k) => !same(a?.[k], b?.[k]));
  const hooks = Object.values(HOOK_VARIABLES).filter((v) => !same(get(a, 'image', 'environment', v), get(b, 'image', 'environment', v)));
  const broker: string[] = [];
  if (!same(get(a, 'services', 'broker'), get(b, 'services', 'broker'))) broker.push('services.broker');
  for (const region of keys(get(a, 'regions'), get(b, 'regions'))) {
    // Dynamic Multistore: the region's own broker; otherwise one per store.
    if (!same(get(a, 'regions', region, 'services', 'broker'), get(b, 'regions', region, 'services', 'broker'))) broker.push(`regions.${region}.services.broker`);
    for (const store of keys(get(a, 'regions', region, 'stores'), get(b, 'regions', region, 'stores'))) {
      const path = ['regions', region, 'stores', store, 'services', 'broker'];
      if (!same(get(a, ...path), get(b, ...path))) broker.push(path.join('.'));
    }
  }
  return { sections, hooks, broker };
}
