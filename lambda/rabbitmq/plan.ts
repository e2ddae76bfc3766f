/**
 * The plan: what must change on the broker so that it matches the declared state. A pure
 * function of (desired, current): no I/O, so it is unit-tested on its own, and a re-run after a
 * half-applied plan simply plans what is still missing.
 */
import { createHash } from 'crypto';
import type { DesiredPermission } from './config';

/** The broker as the management API lists it (GET /api/vhosts, /api/users, /api/permissions). */
export interface BrokerState {
  readonly vhosts: string[];
  readonly users: CurrentUser[];
  readonly permissions: CurrentPermission[];
}

export interface CurrentUser {
  readonly name: string;
  /** base64(salt(4 bytes) + hash(salt + utf8 password)); empty for a user without a password. */
  readonly password_hash: string;
  readonly hashing_algorithm?: string;
  /** A list since RabbitMQ 3.9, a comma-separated string before. */
  readonly tags: string[] | string;
}

export interface CurrentPermission extends DesiredPermission {
  readonly user: string;
}

/** The declared state with passwords resolved (they never leave this process). */
export interface DesiredState {
  readonly vhosts: string[];
  readonly users: { readonly name: string; readonly password: string; readonly tags: string[]; readonly permissions: DesiredPermission[] }[];
  readonly removeUndeclared: boolean;
  /** The user the handler acts as: never changed or removed. */
  readonly admin: string;
}

/** One write request of the plan. Carries no password: apply looks it up by user name. */
export type Change =
  | { readonly kind: 'vhost'; readonly action: 'create' | 'delete'; readonly vhost: string }
  | { readonly kind: 'user'; readonly action: 'create' | 'delete'; readonly user: string }
  | { readonly kind: 'user'; readonly action: 'update'; readonly user: string; readonly reason: string }
  | { readonly kind: 'permission'; readonly action: 'create' | 'update'; readonly user: string; readonly permission: DesiredPermission }
  | { readonly kind: 'permission'; readonly action: 'delete'; readonly user: string; readonly vhost: string };

/** Never removed, even with removeUndeclared: the default vhost (clients fall back to it). */
export const PROTECTED_VHOSTS: readonly string[] = ['/'];
/** Amazon MQ's own users (e.g. `monitoring-AWS-OWNED-DO-NOT-DELETE`) are never removed. */
const PROTECTED_USER = /AWS-OWNED/;

/**
 * Computes the changes, in the order they must be applied: vhosts before the users' permissions
 * on them, users before their permissions; removals last and in reverse (permissions, users,
 * vhosts), so that no step refers to something missing.
 */
export function planChanges(desired: DesiredState, current: BrokerState): Change[] {
  const currentVhosts = new Set(current.vhosts);
  const currentUsers = new Map(current.users.map((u) => [u.name, u]));
  const permKey = (user: string, vhost: string) => `${user}\u0000${vhost}`;
  const currentPerms = new Map(current.permissions.map((p) => [permKey(p.user, p.vhost), p]));
  const declaredVhosts = new Set(desired.vhosts);
  const declaredUsers = new Set(desired.users.map((u) => u.name));
  const declaredPerms = new Set(desired.users.flatMap((u) => u.permissions.map((p) => permKey(u.name, p.vhost))));

  const changes: Change[] = [];
  for (const vhost of desired.vhosts) {
    if (!currentVhosts.has(vhost)) changes.push({ kind: 'vhost', action: 'create', vhost });
  }
  for (const user of desired.users) {
    const existing = currentUsers.get(user.name);
    if (!existing) {
      changes.push({ kind: 'user', action: 'create', user: user.name });
      continue;
    }
    const reasons = [
      passwordMatches(existing, user.password) ? undefined : 'password',
      sameTags(existing.tags, user.tags) ? undefined : 'tags',
    ].filter((r): r is string => r !== undefined);
    if (reasons.length) changes.push({ kind: 'user', action: 'update', user: user.name, reason: reasons.join(' and ') });
  }
  for (const user of desired.users) {
    for (const permission of user.permissions) {
      const existing = currentPerms.get(permKey(user.name, permission.vhost));
      if (!existing) changes.push({ kind: 'permission', action: 'create', user: user.name, permission });
      else if (!samePermission(existing, permission)) changes.push({ kind: 'permission', action: 'update', user: user.name, permission });
    }
  }
  if (!desired.removeUndeclared) return changes;

  const removedVhosts = current.vhosts.filter((v) => !declaredVhosts.has(v) && !PROTECTED_VHOSTS.includes(v));
  const removedUsers = current.users
    .map((u) => u.name)
    .filter((u) => !declaredUsers.has(u) && u !== desired.admin && !PROTECTED_USER.test(u));
  const goneWithVhost = new Set(removedVhosts);
  // Only declared users' permissions are ours to remove; a removed vhost takes its permissions along.
  for (const p of current.permissions) {
    if (declaredUsers.has(p.user) && !declaredPerms.has(permKey(p.user, p.vhost)) && !goneWithVhost.has(p.vhost)) {
      changes.push({ kind: 'permission', action: 'delete', user: p.user, vhost: p.vhost });
    }
  }
  for (const user of removedUsers) changes.push({ kind: 'user', action: 'delete', user });
  for (const vhost of removedVhosts) changes.push({ kind: 'vhost', action: 'delete', vhost });
  return changes;
}

/**
 * Whether the user's stored hash is the hash of this password: RabbitMQ stores
 * base64(salt + H(salt + password)) with a 4-byte salt. An unknown algorithm counts as different
 * (the user is rewritten, which is safe); so does a user without a password.
 */
export function passwordMatches(user: Pick<CurrentUser, 'password_hash' | 'hashing_algorithm'>, password: string): boolean {
  const algorithm = HASHES[user.hashing_algorithm ?? 'rabbit_password_hashing_sha256'];
  if (!algorithm || !user.password_hash) return false;
  const stored = Buffer.from(user.password_hash, 'base64');
  if (stored.length <= 4) return false;
  const salt = stored.subarray(0, 4);
  const digest = createHash(algorithm).update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return digest.equals(stored.subarray(4));
}

const HASHES: Record<string, string> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

export function normalizeTags(tags: string[] | string): string[] {
  const list = Array.isArray(tags) ? tags : tags.split(',');
  return [...new Set(list.map((t) => t.trim()).filter((t) => t !== ''))].sort();
}

function sameTags(current: string[] | string, desired: string[]): boolean {
  return normalizeTags(current).join(',') === normalizeTags(desired).join(',');
}

function samePermission(a: DesiredPermission, b: DesiredPermission): boolean {
  return a.configure === b.configure && a.write === b.write && a.read === b.read;
}

const NOUNS = { vhost: ['vhost', 'vhosts'], user: ['user', 'users'], permission: ['permission', 'permissions'] } as const;
const PAST = { create: 'created', update: 'updated', delete: 'deleted' } as const;
type CountKey = `${Change['kind']}:${Change['action']}`;
/** Applied changes by kind and action: small enough for a continuation token. */
export type ChangeCounts = Partial<Record<CountKey, number>>;

export function countChanges(changes: readonly Change[], into: ChangeCounts = {}): ChangeCounts {
  const counts: ChangeCounts = { ...into };
  for (const c of changes) counts[`${c.kind}:${c.action}`] = (counts[`${c.kind}:${c.action}`] ?? 0) + 1;
  return counts;
}

/** `2 vhosts created, 1 permission updated, 0 users changed`: every kind is named, changed or not. */
export function summarize(counts: ChangeCounts): string {
  const parts: string[] = [];
  for (const kind of Object.keys(NOUNS) as Change['kind'][]) {
    const [one, many] = NOUNS[kind];
    const of = (Object.keys(PAST) as Change['action'][])
      .map((action) => [counts[`${kind}:${action}`] ?? 0, PAST[action]] as const)
      .filter(([n]) => n > 0);
    if (!of.length) parts.push(`0 ${many} changed`);
    for (const [n, past] of of) parts.push(`${n} ${n === 1 ? one : many} ${past}`);
  }
  return parts.join(', ');
}

/**
 * One change for a person: done (`permission app@de_queue updated`, `user app updated (password)`)
 * or still to do (`update permission app@de_queue`).
 */
export function describeChange(c: Change, tense: 'done' | 'todo' = 'done'): string {
  const what = c.kind === 'vhost' ? `vhost ${c.vhost}` : c.kind === 'user' ? `user ${c.user}` : `permission ${c.user}@${'permission' in c ? c.permission.vhost : c.vhost}`;
  const reason = 'reason' in c ? ` (${c.reason})` : '';
  return tense === 'done' ? `${what} ${PAST[c.action]}${reason}` : `${c.action} ${what}${reason}`;
}
