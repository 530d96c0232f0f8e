// What the import pipeline's writer keeps across the files of one import (pipeline.ts, write-prepared.ts).
import { identifierKey, isSharedType } from '../bundle/process-bundle.js';
import type { PreparedResource } from './prepare-file.js';
import { TextVectors } from './text-vectors.js';

/** Identifiers remembered at most; past it, every condition is searched again. */
const MAX_IDENTIFIERS = 1_000_000;

/**
 * What the import pipeline's writer keeps across the files of one import: the tsvectors of the texts it
 * wrote (any database), and, when its connection is the database's only writer (`sole`: the embedded
 * database) and that database held nothing before the import and only the pipeline has written since
 * (`fresh`), the identifiers of the shared resources it created. A condition `identifier=system|value` on
 * a shared type whose identifier is not among them can match nothing, and is not searched (on the corpus,
 * 204 searches of ~1.2 ms each). A key is lower-cased, so whatever a search could find by it is searched.
 */
export class ImportMemory {
  readonly texts = new TextVectors();
  private fresh = false;
  private readonly identifiers = new Set<string>();

  constructor(readonly sole: boolean) {}

  /** The database holds no resource yet: from now on the only writer knows every one it writes. */
  startFresh(): void {
    this.fresh = this.sole;
  }

  /** Another path wrote (the one-thread path): what it created is not known here. */
  unknownWrites(): void {
    this.fresh = false;
    this.identifiers.clear();
  }

  /** The resources of a file were committed. */
  created(resources: readonly PreparedResource[]): void {
    if (!this.fresh) return;
    for (const r of resources) for (const key of r.sharedKeys ?? []) this.identifiers.add(key);
    if (this.identifiers.size > MAX_IDENTIFIERS) this.unknownWrites();
  }

  /** True when the condition certainly matches nothing (false: search it). */
  matchesNothing(type: string, condition: string): boolean {
    if (!this.fresh || !isSharedType(type)) return false;
    const params = [...new URLSearchParams(condition).entries()];
    if (params.length !== 1 || params[0][0] !== 'identifier') return false;
    const value = params[0][1];
    // exactly system|value, nothing escaped and no list
    const bar = value.indexOf('|');
    if (bar <= 0 || bar === value.length - 1 || /[\\,$]/.test(value) || value.indexOf('|', bar + 1) >= 0)
      return false;
    return !this.identifiers.has(identifierKey(type, value.slice(0, bar), value.slice(bar + 1)));
  }
}
