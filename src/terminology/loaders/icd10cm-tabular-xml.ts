// Loader for the CDC ICD-10-CM Tabular List XML (icd10cm_tabular_YYYY.xml): hierarchy and instructional notes.
import { XMLParser } from 'fast-xml-parser';
import { readDataText } from './read-data-file.js';

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

type XmlNode = Record<string, unknown>;

const ARRAY_TAGS = new Set(['chapter', 'section', 'diag', 'note', 'extension', 'sectionRef', ...NOTE_KINDS]);

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v).trim();
  if (typeof v === 'object' && '#text' in (v as XmlNode)) return String((v as XmlNode)['#text']).trim();
  return '';
}

function notesOf(node: XmlNode): TabularNote[] {
  const out: TabularNote[] = [];
  for (const kind of NOTE_KINDS) {
    const blocks = node[kind] as XmlNode[] | undefined;
    if (!blocks) continue;
    for (const block of blocks) {
      for (const n of (block.note as unknown[] | undefined) ?? []) {
        const text = asText(n).replace(/\s+/g, ' ');
        if (text) out.push({ kind, text });
      }
    }
  }
  return out;
}

function sevenChrOf(node: XmlNode): SeventhCharacter[] | undefined {
  const defs = node.sevenChrDef as XmlNode | XmlNode[] | undefined;
  if (!defs) return undefined;
  const list = Array.isArray(defs) ? defs : [defs];
  const out: SeventhCharacter[] = [];
  for (const d of list) {
    for (const ext of (d.extension as XmlNode[] | undefined) ?? []) {
      out.push({ char: String(ext['@_char']), description: asText(ext) });
    }
  }
  return out;
}

export function parseTabularXml(xml: string, file: string): TabularList {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => ARRAY_TAGS.has(name),
  });
  const root = (parser.parse(xml) as XmlNode)['ICD10CM.tabular'] as XmlNode | undefined;
  if (!root) throw new Error(`${file}: not an ICD-10-CM tabular XML (no ICD10CM.tabular root)`);
  const year = Number(asText(root.version));
  const list: TabularList = { year, file, chapters: new Map(), sections: new Map(), diags: new Map() };
  const walk = (node: XmlNode, section: string, chapter: string, parent: string | undefined): void => {
    const code = asText(node.name);
    const diag: TabularDiag = { code, desc: asText(node.desc), section, chapter, notes: notesOf(node) };
    if (parent) diag.parent = parent;
    const seven = sevenChrOf(node);
    if (seven && seven.length > 0) diag.sevenChr = seven;
    list.diags.set(code, diag);
    for (const child of (node.diag as XmlNode[] | undefined) ?? []) walk(child, section, chapter, code);
  };
  for (const ch of (root.chapter as XmlNode[] | undefined) ?? []) {
    const number = asText(ch.name);
    list.chapters.set(number, { id: number, desc: asText(ch.desc), notes: notesOf(ch), chapter: number });
    for (const sec of (ch.section as XmlNode[] | undefined) ?? []) {
      const id = String(sec['@_id']);
      list.sections.set(id, { id, desc: asText(sec.desc), notes: notesOf(sec), chapter: number });
      for (const d of (sec.diag as XmlNode[] | undefined) ?? []) walk(d, id, number, undefined);
    }
  }
  return list;
}

export async function loadTabularXml(path: string): Promise<TabularList> {
  return parseTabularXml(await readDataText(path), path.split('/').pop() ?? path);
}
