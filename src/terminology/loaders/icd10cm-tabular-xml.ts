// Loader for the CDC ICD-10-CM Tabular List XML (icd10cm_tabular_YYYY.xml): hierarchy and instructional notes.
import { ownString, readDataText } from './read-data-file.js';

export type NoteKind =
  | 'includes'
  | 'inclusionTerm'
  | 'excludes1'
  | 'excludes2'
  | 'codeFirst'
  | 'useAdditionalCode'
  | 'codeAlso'
  | 'notes'
  | 'sevenChrNote';

export const NOTE_KINDS: readonly NoteKind[] = [
  'notes',
  'includes',
  'inclusionTerm',
  'excludes1',
  'excludes2',
  'codeFirst',
  'useAdditionalCode',
  'codeAlso',
  'sevenChrNote',
];

export interface TabularNote {
  kind: NoteKind;
  text: string;
}

export interface SeventhCharacter {
  char: string;
  description: string;
}

export interface TabularDiag {
  code: string;
  desc: string;
  parent?: string;
  section: string;
  chapter: string;
  notes: TabularNote[];
  sevenChr?: SeventhCharacter[];
}

export interface TabularGroup {
  id: string; // chapter number or section range ("E08-E13")
  desc: string;
  notes: TabularNote[];
  chapter: string;
}

export interface TabularList {
  year: number;
  file: string;
  chapters: Map<string, TabularGroup>;
  sections: Map<string, TabularGroup>;
  diags: Map<string, TabularDiag>;
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

const NOTE_KIND_SET: ReadonlySet<string> = new Set(NOTE_KINDS);

/** Shared by the ~60,000 codes that print no note of their own (replaced by a new array at the first note). */
const NO_NOTES: TabularNote[] = [];

interface Frame {
  tag: string;
  diag?: TabularDiag;
  group?: TabularGroup;
}

/**
 * A single pass over the tags (no DOM): the tabular XML is large and regular, and building a full
 * object tree for it cost ~150 MB of transient memory at every start.
 */
export function parseTabularXml(xml: string, file: string): TabularList {
  if (!xml.includes('<ICD10CM.tabular'))
    throw new Error(`${file}: not an ICD-10-CM tabular XML (no ICD10CM.tabular root)`);
  const list: TabularList = { year: 0, file, chapters: new Map(), sections: new Map(), diags: new Map() };
  const stack: Frame[] = [];
  let text = '';
  let noteKind: NoteKind | undefined;
  let extChar: string | undefined;
  let chapter = '';
  let section = '';
  const owner = (): Frame | undefined => {
    for (let i = stack.length - 1; i >= 0; i--) if (stack[i].diag || stack[i].group) return stack[i];
    return undefined;
  };
  const re = /<(\/?)([A-Za-z0-9.]+)([^>]*?)(\/?)>|([^<]+)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[5] !== undefined) {
      text += m[5];
      continue;
    }
    const [, closing, tag, attrs, selfClosing] = m;
    if (tag === 'introduction' && !closing) {
      const end = xml.indexOf('</introduction>', re.lastIndex);
      if (end > 0) re.lastIndex = end + '</introduction>'.length;
      continue;
    }
    if (!closing) {
      text = '';
      const frame: Frame = { tag };
      if (tag === 'chapter') frame.group = { id: '', desc: '', notes: NO_NOTES, chapter: '' };
      else if (tag === 'section') {
        section = /id="([^"]*)"/.exec(attrs)?.[1] ?? '';
        frame.group = { id: section, desc: '', notes: NO_NOTES, chapter };
        list.sections.set(section, frame.group);
      } else if (tag === 'diag') {
        const parent = owner()?.diag;
        frame.diag = { code: '', desc: '', section, chapter, notes: NO_NOTES };
        if (parent) frame.diag.parent = parent.code;
      } else if (NOTE_KIND_SET.has(tag)) noteKind = tag as NoteKind;
      else if (tag === 'extension') extChar = /char="([^"]*)"/.exec(attrs)?.[1];
      if (!selfClosing) stack.push(frame);
      continue;
    }
    const frame = stack.pop();
    if (!frame || frame.tag !== tag) throw new Error(`${file}: unbalanced </${tag}>`);
    const value = ownString(decode(text.trim()).replace(/\s+/g, ' '));
    text = '';
    const o = owner();
    if (tag === 'version' && stack.length === 1) list.year = Number(value);
    else if (tag === 'name' && o?.diag) {
      o.diag.code = value;
      list.diags.set(value, o.diag);
    } else if (tag === 'name' && o?.group && o.tag === 'chapter') {
      chapter = value;
      o.group.id = value;
      o.group.chapter = value;
      list.chapters.set(value, o.group);
    } else if (tag === 'desc' && o) {
      if (o.diag) o.diag.desc = value;
      else if (o.group) o.group.desc = value;
    } else if (tag === 'note' && noteKind && o && value) {
      const node = o.diag ?? o.group;
      if (node) {
        if (node.notes === NO_NOTES) node.notes = [];
        node.notes.push({ kind: noteKind, text: value });
      }
    } else if (tag === 'extension' && o?.diag && extChar) {
      o.diag.sevenChr = [...(o.diag.sevenChr ?? []), { char: extChar, description: value }];
      extChar = undefined;
    } else if (NOTE_KIND_SET.has(tag)) noteKind = undefined;
  }
  if (stack.length > 0)
    throw new Error(`${file}: truncated XML (<${stack[stack.length - 1].tag}> not closed)`);
  return list;
}

export async function loadTabularXml(path: string): Promise<TabularList> {
  return parseTabularXml(await readDataText(path), path.split('/').pop() ?? path);
}
