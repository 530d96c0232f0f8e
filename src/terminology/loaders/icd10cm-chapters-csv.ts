// Loader for the FY2025 chapter and section (block) lists, derived CSVs of the CDC tabular XML.
import { parseCsvRecords } from './csv.js';
import { readDataText } from './read-data-file.js';

export interface BlockRange {
  id: string; // "E08-E13", or a chapter number
  title: string;
  first: string; // first category, e.g. "E08"
  last: string;
}

function rangeOf(id: string, title: string): BlockRange | undefined {
  const m =
    /^([A-Z](?:\d[0-9A-Z]|[A-Z]\d))(?:-([A-Z](?:\d[0-9A-Z]|[A-Z]\d)))?$/.exec(id) ??
    /\(([A-Z](?:\d[0-9A-Z]|[A-Z]\d))(?:-([A-Z](?:\d[0-9A-Z]|[A-Z]\d)))?\)/.exec(title);
  if (!m) return undefined;
  return { id, title, first: m[1], last: m[2] ?? m[1] };
}

export async function loadSections(path: string): Promise<BlockRange[]> {
  const recs = parseCsvRecords(await readDataText(path), ['SectionID', 'SectionName']);
  return recs
    .map((r) => rangeOf(r.SectionID.trim(), r.SectionName.trim()))
    .filter((r): r is BlockRange => !!r);
}

export async function loadChapters(path: string): Promise<BlockRange[]> {
  const recs = parseCsvRecords(await readDataText(path), ['ChapterID', 'ChapterName']);
  return recs
    .map((r) => {
      const m = /\(([A-Z](?:\d[0-9A-Z]|[A-Z]\d))-([A-Z](?:\d[0-9A-Z]|[A-Z]\d))\)\s*$/.exec(
        r.ChapterName.trim(),
      );
      return m ? { id: r.ChapterID.trim(), title: r.ChapterName.trim(), first: m[1], last: m[2] } : undefined;
    })
    .filter((r): r is BlockRange => !!r);
}

/**
 * The block holding a category: the narrowest range that contains it, so a single-category block
 * (C7A, O09) wins over a wider range that spans it lexically (C76-C80) or a heading range (T07-T88).
 */
export function blockOf(blocks: BlockRange[], category: string): BlockRange | undefined {
  let best: BlockRange | undefined;
  for (const b of blocks) {
    if (category < b.first || category > b.last) continue;
    if (!best || (b.first >= best.first && b.last <= best.last)) best = b;
  }
  return best;
}
