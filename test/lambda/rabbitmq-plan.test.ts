import { createHash, randomBytes } from 'crypto';
import type { DesiredPermission } from '../../lambda/rabbitmq/config';
import {
  countChanges,
  describeChange,
  passwordMatches,
  planChanges,
  summarize,
  type BrokerState,
  type Change,
  type CurrentUser,
  type DesiredState,
} from '../../lambda/rabbitmq/plan';

/** The hash RabbitMQ stores: base64(salt(4) + H(salt + password)). */
function rabbitHash(password: string, algorithm = 'sha256'): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash(algorithm).update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest()]).toString('base64');
}

const full = (vhost: string): DesiredPermission => ({ vhost, configure: '.*', write: '.*', read: '.*' });

const desired: DesiredState = {
  vhosts: ['de_queue', 'at_queue'],
  users: [
    { name: 'spryker', password: 's3cret', tags: ['management'], permissions: [full('de_queue'), full('at_queue')] },
    { name: 'reader', password: 'r34d', tags: [], permissions: [{ vhost: 'de_queue', configure: '^$', write: '^$', read: '.*' }] },
  ],
  removeUndeclared: false,
  admin: 'admin',
};

const adminUser: CurrentUser = { name: 'admin', password_hash: rabbitHash('admin-pw'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] };

/** A broker exactly as declared (plus the admin and the default vhost). */
function converged(): BrokerState {
  return {
    vhosts: ['/', 'de_queue', 'at_queue'],
    users: [
      adminUser,
      { name: 'spryker', password_hash: rabbitHash('s3cret'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['management'] },
      { name: 'reader', password_hash: rabbitHash('r34d'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] },
    ],
    permissions: [
      { user: 'admin', vhost: '/', configure: '.*', write: '.*', read: '.*' },
      ...desired.users.flatMap((u) => u.permissions.map((p) => ({ user: u.name, ...p }))),
    ],
  };
}

describe('planChanges', () => {
  test('a fresh broker: every vhost, user and permission is created, vhosts and users before permissions', () => {
    const changes = planChanges(desired, { vhosts: ['/'], users: [adminUser], permissions: [] });
    expect(changes.map((c) => describeChange(c))).toEqual([
      'vhost de_queue created',
      'vhost at_queue created',
      'user spryker created',
      'user reader created',
      'permission spryker@de_queue created',
      'permission spryker@at_queue created',
      'permission reader@de_queue created',
    ]);
    // The rule behind the order: each permission comes after the creation of its vhost and of its user.
    changes.forEach((c, i) => {
      if (c.kind !== 'permission' || !('permission' in c)) return;
      const vhost = changes.findIndex((x) => x.kind === 'vhost' && x.vhost === c.permission.vhost);
      const user = changes.findIndex((x) => x.kind === 'user' && x.user === c.user);
      expect([vhost >= 0 && vhost < i, user >= 0 && user < i]).toEqual([true, true]);
    });
    expect(summarize(countChanges(changes))).toBe('2 vhosts created, 2 users created, 3 permissions created');
  });

  test('a converged broker: an empty plan (nothing is rewritten)', () => {
    expect(planChanges(desired, converged())).toEqual([]);
    expect(summarize(countChanges([]))).toBe('0 vhosts changed, 0 users changed, 0 permissions changed');
  });

  test('a changed password rewrites the user, a tag change too; tag order and the pre-3.9 string form do not count', () => {
    const state = converged();
    const users = state.users.map((u) =>
      u.name === 'spryker' ? { ...u, password_hash: rabbitHash('old') } : u.name === 'reader' ? { ...u, tags: 'monitoring' } : u,
    );
    expect(planChanges(desired, { ...state, users })).toEqual([
      { kind: 'user', action: 'update', user: 'spryker', reason: 'password' },
      { kind: 'user', action: 'update', user: 'reader', reason: 'tags' },
    ]);
    const reordered = { ...desired, users: [{ ...desired.users[0], tags: ['monitoring', 'management'] }, desired.users[1]] };
    const current = converged();
    const tagged = current.users.map((u) => (u.name === 'spryker' ? { ...u, tags: 'management,monitoring' } : u));
    expect(planChanges(reordered, { ...current, users: tagged })).toEqual([]);
  });

  test('a changed permission is exactly one update, with the declared regexes', () => {
    const state = converged();
    const permissions = state.permissions.map((p) => (p.user === 'reader' ? { ...p, read: '^$' } : p));
    const changes = planChanges(desired, { ...state, permissions });
    expect(changes).toEqual([
      { kind: 'permission', action: 'update', user: 'reader', permission: { vhost: 'de_queue', configure: '^$', write: '^$', read: '.*' } },
    ]);
    expect(summarize(countChanges(changes))).toBe('0 vhosts changed, 0 users changed, 1 permission updated');
  });

  test('undeclared vhosts, users and permissions stay unless removeUndeclared', () => {
    const state = converged();
    const extra: BrokerState = {
      vhosts: [...state.vhosts, 'old_queue'],
      users: [...state.users, { name: 'legacy', password_hash: '', tags: [] }],
      permissions: [...state.permissions, { user: 'reader', vhost: 'at_queue', configure: '.*', write: '.*', read: '.*' }],
    };
    expect(planChanges(desired, extra)).toEqual([]);
  });

  test('removeUndeclared removes after all creations: permissions, then users, then vhosts; never the admin, / or Amazon MQ users', () => {
    const state = converged();
    const extra: BrokerState = {
      vhosts: [...state.vhosts, 'old_queue'],
      users: [
        ...state.users,
        { name: 'legacy', password_hash: '', tags: [] },
        { name: 'monitoring-AWS-OWNED-DO-NOT-DELETE', password_hash: '', tags: ['monitoring'] },
      ],
      permissions: [
        ...state.permissions,
        { user: 'reader', vhost: 'at_queue', configure: '.*', write: '.*', read: '.*' },
        // Goes with its vhost: no separate request.
        { user: 'spryker', vhost: 'old_queue', configure: '.*', write: '.*', read: '.*' },
        // Not a declared user's: left to the user's removal.
        { user: 'legacy', vhost: 'de_queue', configure: '.*', write: '.*', read: '.*' },
      ],
    };
    const changes = planChanges({ ...desired, vhosts: [...desired.vhosts, 'nl_queue'], removeUndeclared: true }, extra);
    expect(changes.map((c) => describeChange(c))).toEqual([
      'vhost nl_queue created',
      'permission reader@at_queue deleted',
      'user legacy deleted',
      'vhost old_queue deleted',
    ]);
  });
});

describe('passwordMatches', () => {
  // Taken from a RabbitMQ 3.10 server: the default user guest/guest.
  const guest = { password_hash: '/0y1oka6OfiPkNCxZGC7osSvKnR2zgEnLbAWD0jj4koRDV82', hashing_algorithm: 'rabbit_password_hashing_sha256' };

  test("RabbitMQ's own sha256 hash", () => {
    expect(passwordMatches(guest, 'guest')).toBe(true);
    expect(passwordMatches(guest, 'Guest')).toBe(false);
  });

  test('sha512 and md5 hashes, and a UTF-8 password', () => {
    expect(passwordMatches({ password_hash: rabbitHash('pä$$', 'sha512'), hashing_algorithm: 'rabbit_password_hashing_sha512' }, 'pä$$')).toBe(true);
    expect(passwordMatches({ password_hash: rabbitHash('x', 'md5'), hashing_algorithm: 'rabbit_password_hashing_md5' }, 'x')).toBe(true);
    expect(passwordMatches({ password_hash: rabbitHash('x', 'md5'), hashing_algorithm: 'rabbit_password_hashing_md5' }, 'y')).toBe(false);
  });

  test('an unknown algorithm or a user without a password counts as different (rewritten)', () => {
    expect(passwordMatches({ password_hash: rabbitHash('x'), hashing_algorithm: 'some_future_hash' }, 'x')).toBe(false);
    expect(passwordMatches({ password_hash: '', hashing_algorithm: 'rabbit_password_hashing_sha256' }, '')).toBe(false);
  });
});

test('a change reads as done, or as still to do', () => {
  const update: Change = { kind: 'user', action: 'update', user: 'app', reason: 'password and tags' };
  expect(describeChange(update)).toBe('user app updated (password and tags)');
  expect(describeChange(update, 'todo')).toBe('update user app (password and tags)');
  expect(describeChange({ kind: 'permission', action: 'delete', user: 'app', vhost: '/' }, 'todo')).toBe('delete permission app@/');
});

test('summarize names every kind and each action with its count', () => {
  const changes: Change[] = [
    { kind: 'vhost', action: 'create', vhost: 'a' },
    { kind: 'vhost', action: 'create', vhost: 'b' },
    { kind: 'vhost', action: 'delete', vhost: 'c' },
    { kind: 'permission', action: 'update', user: 'u', permission: full('a') },
  ];
  const counts = countChanges(changes.slice(0, 1));
  expect(summarize(countChanges(changes.slice(1), counts))).toBe('2 vhosts created, 1 vhost deleted, 0 users changed, 1 permission updated');
});
