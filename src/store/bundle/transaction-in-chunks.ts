// A transaction Bundle too big to hold in memory, read twice from its source in chunks of entries: the
// first read plans every entry (ids, fullUrl -> Type/id, conditional creates) as processBundle does before
// writing anything, the second writes chunk by chunk with that map, all in ONE database transaction.
import type { BundleEntry } from '@medplum/fhirtypes';
import type { Repository } from '../repository.js';
import { applyEntries, type BundleOptions, type Planned, planEntries } from './process-bundle.js';

/** Entries of the Bundle in order, in chunks; called twice, it must give the same chunks each time. */
export type EntryChunks = () => AsyncIterable<BundleEntry[]>;

/**
 * Processes the entries from `chunks` as one transaction (all or nothing). `onChunk` gets each chunk's
 * entries with their response entries once written (before the commit: the caller counts them when this
 * returns). Resolves after the commit; throws (nothing written) like processBundle.
 */
export async function processTransactionInChunks(
  repo: Repository,
  chunks: EntryChunks,
  opts: BundleOptions,
  onChunk: (entries: BundleEntry[], response: BundleEntry[]) => void,
): Promise<void> {
  await repo.transaction(async (tx) => {
    // Plans keep ids only (no resource): the first read leaves a small map behind, whatever the size.
    const fullUrls = new Map<string, string>();
    const plans: Planned[] = [];
    for await (const entries of chunks())
      plans.push(...(await planEntries(tx, entries, plans.length, opts, fullUrls)));
    let offset = 0;
    for await (const entries of chunks()) {
      if (offset + entries.length > plans.length)
        throw new Error('The Bundle file changed while it was imported (more entries on the second read)');
      // copies: applyEntries sets the write operations (with their resources) on the plans it is given
      const planned = plans.slice(offset, offset + entries.length).map((p) => ({ ...p }));
      onChunk(entries, await applyEntries(tx, entries, planned, offset, opts, fullUrls));
      offset += entries.length;
    }
    if (offset !== plans.length)
      throw new Error('The Bundle file changed while it was imported (fewer entries on the second read)');
  });
}
