// Loader for the official CDC ICD-10-CM Alphabetic Index XML (icd10cm_index_YYYY.xml), the format of each new release.

import { canonicalCode } from '../systems.js';
import type { IndexEntry } from './icd10cm-index-csv.js';
import { ownString, readDataText } from './read-data-file.js';

interface TermFrame {
  entry: IndexEntry;
  title: string;
  nemod: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : (ENTITIES[e] ?? m),
  );
}

function clean(text: string): string {
  return ownString(decode(text).replace(/\s+/g, ' ').trim());
}

function indexCode(raw: string): string {
  const c = raw.trim();
  return c.endsWith('-')
    ? `${canonicalCode('icd10cm', c.replace(/\.?-$/, ''))}-`
    : canonicalCode('icd10cm', c);
}

/**
 * One pass over the tags: mainTerm and nested term become entries in document order, with the full
 * path, nonessential modifiers (also text after them, e.g. " NEC"), the first code, see / see also.
 * Unlike the derived FY2025 CSV, nothing of the title is lost.
 */
export function parseIndexXml(xml: string, file: string): { year: number; entries: IndexEntry[] } {
  if (!xml.includes('<ICD10CM.index'))
    throw new Error(`${file}: not an ICD-10-CM index XML (no ICD10CM.index root)`);
  const entries: IndexEntry[] = [];
  const terms: TermFrame[] = [];
  const open: string[] = [];
  let year = 0;
  let text = '';
  let nemodText = '';
  const re = /<(\/?)([A-Za-z0-9.]+)([^>]*?)(\/?)>|([^<]+)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[5] !== undefined) {
      if (open[open.length - 1] === 'nemod') nemodText += m[5];
      else text += m[5];
      continue;
    }
    const [, closing, tag, , selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) {
      open.push(tag);
      if (tag === 'mainTerm' || tag === 'term') {
        const entry: IndexEntry = { path: [], nonEssential: [] };
        entries.push(entry);
        terms.push({ entry, title: '', nemod: [] });
      }
      if (tag === 'title' || tag === 'code' || tag === 'see' || tag === 'seeAlso' || tag === 'version')
        text = '';
      if (tag === 'nemod') nemodText = '';
      continue;
    }
    if (open.pop() !== tag) throw new Error(`${file}: unbalanced </${tag}>`);
    const frame = terms[terms.length - 1];
    if (tag === 'version' && open.length === 1) year = Number(text.trim());
    else if (tag === 'nemod' && frame) frame.nemod.push(clean(nemodText));
    else if (tag === 'title' && frame && open[open.length - 1] !== 'letter') {
      frame.title = clean(text);
      frame.entry.path = terms.map((t) => t.title);
      frame.entry.nonEssential = terms.flatMap((t) => t.nemod);
    } else if (tag === 'code' && frame && !frame.entry.code) frame.entry.code = indexCode(clean(text));
    else if (tag === 'see' && frame) frame.entry.see = clean(text);
    else if (tag === 'seeAlso' && frame) frame.entry.seeAlso = clean(text);
    else if (tag === 'mainTerm' || tag === 'term') terms.pop();
  }
  return { year, entries: entries.filter((e) => e.path.length > 0) };
}

/** The External Cause of Injuries Index (same XML format): its entries marked as such. */
export async function loadExternalCauseIndexXml(path: string): Promise<IndexEntry[]> {
  const { entries } = parseIndexXml(await readDataText(path), path.split('/').pop() ?? path);
  for (const e of entries) e.externalCause = true;
  return entries;
}
