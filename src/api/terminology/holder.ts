// Holds the loaded code sets for the HTTP routes: loaded once (at start or on first use), shared by
// concurrent callers, or switched off. Loading costs seconds and hundreds of MB, hence the choice.
import { join, resolve } from 'node:path';
import { FhirError, issue, notSupported } from '../../platform/errors.js';
import { loadTerminology, type Terminology } from '../../terminology/index.js';

export type TerminologyMode = 'lazy' | 'eager' | 'off';

export const TERMINOLOGY_MODES: readonly TerminologyMode[] = ['lazy', 'eager', 'off'];

/** CHARTROOM_TERMINOLOGY: unset or empty means lazy; anything else unknown stops the start with a clear message. */
export function terminologyModeOf(value: string | undefined): TerminologyMode {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'lazy';
  if ((TERMINOLOGY_MODES as readonly string[]).includes(v)) return v as TerminologyMode;
  throw new Error(`CHARTROOM_TERMINOLOGY must be one of ${TERMINOLOGY_MODES.join(', ')}; got "${value}"`);
}

/**
 * CHARTROOM_TERMINOLOGY_CACHE: the folder of the code-set cache; unset means `terminology-cache` in the data
 * folder, "off" means no cache (every start loads the source files in full).
 */
export function terminologyCacheDirOf(value: string | undefined, dataDir: string): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') return join(dataDir, 'terminology-cache');
  if (v.toLowerCase() === 'off') return undefined;
  return resolve(v);
}

export class TerminologyHolder {
  private pending: Promise<Terminology> | undefined;
  private loaded: Terminology | undefined;

  constructor(
    readonly mode: TerminologyMode,
    private readonly load: () => Promise<Terminology> = () => loadTerminology(),
  ) {}

  /** The code sets, loading them on the first call; callers that arrive during the load share it. */
  get(): Promise<Terminology> {
    if (this.mode === 'off')
      return Promise.reject(
        notSupported('The terminology service is switched off on this server (CHARTROOM_TERMINOLOGY=off).'),
      );
    if (this.loaded) return Promise.resolve(this.loaded);
    this.pending ??= this.load().then(
      (t) => {
        this.loaded = t;
        return t;
      },
      (err: unknown) => {
        // a failed load is retried by the next request instead of being remembered forever
        this.pending = undefined;
        throw new FhirError(
          503,
          issue('transient', `The code sets could not be loaded: ${(err as Error).message ?? String(err)}`),
        );
      },
    );
    return this.pending;
  }
}
