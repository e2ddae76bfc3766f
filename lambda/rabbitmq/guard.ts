/**
 * The guard of removeUndeclared: a vhost is deleted with its queues and their messages, so the
 * step first asks the broker which of the vhosts it would delete still hold messages.
 */
import { seg, type ManagementApi } from './api';

/** Queues named per vhost in a refusal; the rest are counted. */
const LISTED_QUEUES = 10;

export interface HeldMessages {
  readonly vhost: string;
  /** Queues with messages, or whose count the broker does not know yet (statistics not emitted). */
  readonly queues: { readonly name: string; readonly messages?: number }[];
  /** Further such queues, not listed. */
  readonly more: number;
}

/**
 * The vhosts among these that hold messages. A queue without a count (the management plugin
 * emits queue statistics every few seconds, a new queue has none yet) counts as holding some:
 * unknown is not empty.
 */
export async function vhostsHoldingMessages(api: ManagementApi, vhosts: readonly string[]): Promise<HeldMessages[]> {
  const listed = await Promise.all(
    vhosts.map(async (vhost) => {
      // A vhost already gone (a duplicate delivery deleted it) has nothing to lose.
      const queues = await api.getOrNull<{ name: string; messages?: number }[]>(`/api/queues/${seg(vhost)}?columns=name,messages`);
      const holding = (queues ?? []).filter((q) => q.messages === undefined || q.messages > 0);
      return { vhost, queues: holding.slice(0, LISTED_QUEUES), more: Math.max(0, holding.length - LISTED_QUEUES) };
    }),
  );
  return listed.filter((v) => v.queues.length > 0);
}
