// What the importer's writes share: retries on write conflicts, counting what a response says was
// written, turning errors into report lines, and a bare resource into a Bundle entry of import mode.
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../platform/errors.js';

const RETRYABLE_PG = new Set(['40P01', '40001', '23505']);

function isRetryable(err: unknown): boolean {
  if (err instanceof FhirError) return err.status === 409 && /at the same time/.test(err.message);
  return RETRYABLE_PG.has((err as { code?: string }).code ?? '');
}

export function isMissingConditional(err: unknown): boolean {
  return (
    err instanceof FhirError &&
    err.outcome.issue.some((i) => i.code === 'not-found' && /Conditional reference/.test(i.diagnostics ?? ''))
  );
}

export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 6 || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

export function countWritten(
  entries: BundleEntry[],
  response: Bundle,
  byType: Record<string, number>,
): number {
  let n = 0;
  (response.entry ?? []).forEach((r, i) => {
    const status = r.response?.status ?? '';
    if (!/^20[01]/.test(status)) return;
    const type = entries[i]?.resource?.resourceType ?? r.response?.location?.split('/')[0];
    if (!type) return;
    byType[type] = (byType[type] ?? 0) + 1;
    n++;
  });
  return n;
}

export function errorsOf(err: unknown, prefix: string): { where: string; message: string }[] {
  if (err instanceof FhirError) {
    return err.outcome.issue.map((i) => ({
      where: `${prefix}${i.expression?.length ? ` ${i.expression.join(', ')}` : ''}`,
      message: i.diagnostics ?? i.code,
    }));
  }
  return [{ where: prefix, message: (err as Error).message }];
}

/** A resource of a file as an entry that keeps its id (PUT), or gets one (POST). */
export function asEntry(resource: Resource, fullUrl?: string): BundleEntry {
  return resource?.id
    ? { fullUrl, resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }
    : { fullUrl, resource, request: { method: 'POST', url: resource?.resourceType ?? 'Unknown' } };
}

/** A Bundle of another type (collection, searchset...) as a transaction of its resources, as the import writes it. */
export function asTransaction(bundle: Bundle): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: (bundle.entry ?? [])
      .filter((e) => e.resource)
      .map((e) => asEntry(e.resource as Resource, e.fullUrl)),
  };
}
