// Loader for the CMS ICD-10-CM and ICD-10-PCS order files (fixed width, per CMS icd10OrderFiles.pdf).
import { type CodeEntry, CodeSystemVersion, type Provenance } from '../code-system.js';
import { fiscalYearPeriod } from '../fiscal-year.js';
import { canonicalCode } from '../systems.js';
import { CompactEntry, TitleTable } from '../title-table.js';
import { readDataBytes } from './read-data-file.js';

/**
 * An already loaded year, by code: most codes do not change from one year to the next, so the next year
 * shares those entries (and the titles of changed ones) instead of holding a second copy. `order` is then
 * comparable within a year but counted in the other year's positions.
 */
export type TitleSource = Pick<CodeSystemVersion, 'getCanonical'>;

/** A blank-padded field decoded without its padding: trimming after decoding would keep the padded string alive. */
function field(bytes: Buffer, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && bytes[a] === 0x20) a++;
  while (b > a && bytes[b - 1] === 0x20) b--;
  return bytes.toString('utf8', a, b);
}

export function parseOrderFile(
  bytes: Buffer,
  system: 'icd10cm' | 'icd10pcs',
  shareWith?: TitleSource,
  titles: TitleTable = new TitleTable(),
): CodeEntry[] {
  const out: CodeEntry[] = [];
  let start = 0;
  let lineNo = 0;
  let lastSharedOrder = -1;
  let unsharedRun = 0;
  // Fields are cut from the bytes, not from one big decoded string, so no title keeps the whole file alive.
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    lineNo++;
    if (stop - start > 16) {
      const flag = bytes[start + 14];
      const order = bytes.toString('latin1', start, start + 5);
      if (!/^\d{5}$/.test(order) || (flag !== 0x30 && flag !== 0x31)) {
        throw new Error(
          `order file line ${lineNo} is not an order record: ${bytes.toString('latin1', start, Math.min(stop, start + 40))}`,
        );
      }
      const code = canonicalCode(system, bytes.toString('latin1', start + 6, start + 13));
      const same = shareWith?.getCanonical(code);
      const short = field(bytes, start + 16, Math.min(stop, start + 76));
      const long = field(bytes, Math.min(stop, start + 77), stop);
      const billable = flag === 0x31;
      if (same && same.billable === billable && same.display === long && same.shortDisplay === short) {
        // unchanged from the other year: the same entry object serves both (its order is that year's)
        out.push(same);
        lastSharedOrder = same.order;
        unsharedRun = 0;
      } else {
        unsharedRun++;
        const longRef = titles.put(long);
        const l = longRef < 0 ? long : longRef;
        // about half the short titles equal the long one: one reference serves both
        const shortRef = short === long ? longRef : titles.put(short);
        const sh = short === long ? l : shortRef < 0 ? short : shortRef;
        // without sharing, the position in this file; with it, a place between the shared neighbours
        const order = shareWith ? lastSharedOrder + 1 - 1 / (unsharedRun + 1) : out.length;
        out.push(new CompactEntry(same?.code ?? code, billable, order, titles, l, sh));
      }
    }
    start = end + 1;
  }
  return out;
}

export async function loadOrderFile(
  path: string,
  system: 'icd10cm' | 'icd10pcs',
  fiscalYear: number,
  provenance: Omit<Provenance, 'file'>,
  shareWith?: TitleSource,
  titles?: TitleTable,
): Promise<CodeSystemVersion> {
  const entries = parseOrderFile(await readDataBytes(path), system, shareWith, titles);
  return new CodeSystemVersion(system, String(fiscalYear), fiscalYearPeriod(fiscalYear), entries, {
    ...provenance,
    file: path.split('/').pop() ?? path,
  });
}
