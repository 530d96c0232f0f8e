// The code check of `chartroom import`, set on the importing repository of the main thread and of each import
// thread (which loads this module by its URL): the code sets (with the installed releases) load from the cache
// on the first file that holds a coding of a system served, not before.
import { terminologyCacheDirOf, terminologyModeOf } from '../api/terminology/holder.js';
import type { Repository } from '../store/repository.js';
import { codeCheckOf, loadWithInstalled, type Terminology } from '../terminology/index.js';

export interface ImportCodeCheckData {
  dataDir: string;
  cacheDir: string | undefined;
}

/** What the import threads need to set the check up themselves; undefined when CHARTROOM_TERMINOLOGY=off. */
export function importCodeCheckData(dataDir: string): ImportCodeCheckData | undefined {
  if (terminologyModeOf(process.env.CHARTROOM_TERMINOLOGY) === 'off') return undefined;
  return { dataDir, cacheDir: terminologyCacheDirOf(process.env.CHARTROOM_TERMINOLOGY_CACHE, dataDir) };
}

export function setupRepository(repo: Repository, data: ImportCodeCheckData): void {
  let loading: Promise<Terminology> | undefined;
  repo.setCodeCheck(
    codeCheckOf(() => {
      loading ??= loadWithInstalled(data.dataDir, { cacheDir: data.cacheDir }).then((r) => r.terminology);
      return loading;
    }),
  );
}
