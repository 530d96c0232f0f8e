// Code detail for ICD-10-CM: hierarchy, and every instructional note that applies, inherited from chapter, block and ancestors.
import type { CodeSystemVersion } from '../code-system.js';
import { type BlockRange, blockOf } from '../loaders/icd10cm-chapters-csv.js';
import type { NoteKind, SeventhCharacter } from '../loaders/icd10cm-tabular-xml.js';
import type { TabularNotes } from './tabular-notes.js';

export type HierarchyLevel = 'chapter' | 'block' | 'category' | 'subcategory' | 'code';

export interface HierarchyNode {
  level: HierarchyLevel;
  code: string; // chapter number, block range ("E08-E13"), or code
  display: string;
  billable?: boolean;
}

export interface AppliedNote {
  kind: NoteKind;
  text: string;
  /** Where the note is printed: the chapter, block or code it sits under (inherited when not the code itself). */
  level: HierarchyLevel;
  source: string;
  inherited: boolean;
  /** Fiscal year of the Tabular List XML the note was read from. */
  tabularYear: number;
}

export interface SeventhCharacterRule {
  /** The category or subcategory whose 7th-character list applies. */
  source: string;
  /** Year of the Tabular List XML that defines it; absent when inferred from the order file's codes. */
  tabularYear?: number;
  /** "tabular" = sevenChrDef in the XML; "order-file" = the XML predates the rule, so the list is read from the codes in effect. */
  basis: 'tabular' | 'order-file';
  definitions: SeventhCharacter[];
  /** This code's 7th character and its meaning, when the code carries one. */
  current?: SeventhCharacter;
  /** The placeholder X rule and whether this code uses placeholders. */
  placeholder: { usesPlaceholder: boolean; rule: string };
}

export interface Structure {
  notes: TabularNotes;
  chapters: BlockRange[];
  blocks: BlockRange[];
}

const INHERITED_KINDS: ReadonlySet<NoteKind> = new Set([
  'notes',
  'includes',
  'excludes1',
  'excludes2',
  'codeFirst',
  'useAdditionalCode',
  'codeAlso',
  'sevenChrNote',
]);

/** Ancestor codes from the 3-character category down to the code's parent, canonical with dot. */
export function ancestorsOf(code: string): string[] {
  const bare = code.replace('.', '');
  const out: string[] = [];
  for (let n = 3; n < bare.length; n++)
    out.push(n === 3 ? bare.slice(0, 3) : `${bare.slice(0, 3)}.${bare.slice(3, n)}`);
  return out;
}

export function hierarchyOf(code: string, version: CodeSystemVersion, s: Structure): HierarchyNode[] {
  const category = code.slice(0, 3);
  const out: HierarchyNode[] = [];
  const chapter = blockOf(s.chapters, category);
  if (chapter) out.push({ level: 'chapter', code: chapter.id, display: chapter.title });
  const block = blockOf(s.blocks, category);
  if (block) out.push({ level: 'block', code: block.id, display: block.title });
  else {
    const sec = s.notes.sectionContaining(category);
    if (sec) out.push({ level: 'block', code: sec.node.id, display: sec.node.desc });
  }
  for (const a of ancestorsOf(code)) {
    const e = version.get(a);
    const t = s.notes.diag(a);
    if (!e && !t) continue;
    out.push({
      level: a.length === 3 ? 'category' : 'subcategory',
      code: a,
      display: e?.display ?? t?.node.desc ?? '',
      billable: e?.billable ?? false,
    });
  }
  return out;
}

/** Every note that applies to `code`: chapter, block, each ancestor, then the code itself (inclusion terms only from the code or its 7th-character base). */
export function notesFor(code: string, s: Structure): AppliedNote[] {
  const out: AppliedNote[] = [];
  const category = code.slice(0, 3);
  const chapter = blockOf(s.chapters, category);
  const chapterNode = chapter ? s.notes.chapter(chapter.id) : undefined;
  if (chapterNode) {
    for (const n of chapterNode.node.notes)
      out.push({
        ...n,
        level: 'chapter',
        source: chapterNode.node.id,
        inherited: true,
        tabularYear: chapterNode.year,
      });
  }
  const block = blockOf(s.blocks, category);
  const sectionNode = (block ? s.notes.section(block.id) : undefined) ?? s.notes.sectionContaining(category);
  if (sectionNode) {
    for (const n of sectionNode.node.notes)
      out.push({
        ...n,
        level: 'block',
        source: sectionNode.node.id,
        inherited: true,
        tabularYear: sectionNode.year,
      });
  }
  const bare = code.replace('.', '');
  const base7 = bare.length === 7 ? `${bare.slice(0, 3)}.${bare.slice(3, 6)}` : undefined;
  for (const a of [...ancestorsOf(code), code]) {
    const d = s.notes.diag(a);
    if (!d) continue;
    const self = a === code;
    for (const n of d.node.notes) {
      if (n.kind === 'inclusionTerm' && !self && a !== base7) continue;
      if (!self && !INHERITED_KINDS.has(n.kind) && n.kind !== 'inclusionTerm') continue;
      out.push({
        ...n,
        level: self ? 'code' : a.length === 3 ? 'category' : 'subcategory',
        source: a,
        inherited: !self,
        tabularYear: d.year,
      });
    }
  }
  return out;
}

export const PLACEHOLDER_RULE =
  'The 7th character must always be in the 7th position. Where a code that requires a 7th character is shorter than 6 characters, the placeholder X fills each empty position (e.g. T07.XXXA).';

/**
 * When the Tabular XML (FY2017) predates a category's 7th-character rule (T07 got one later), the
 * order file in effect still shows it: every billable code of the category has 7 characters, and
 * each 7th character's meaning is the title's tail after the 6-character base title.
 */
function inferredSeventh(code: string, version: CodeSystemVersion): SeventhCharacterRule | undefined {
  const category = code.slice(0, 3);
  const under = version.withPrefix(category);
  const billable = under.filter((e) => e.billable);
  if (billable.length === 0 || billable.some((e) => e.code.replace('.', '').length !== 7)) return undefined;
  const defs = new Map<string, string>();
  for (const e of billable) {
    const ch = e.code[e.code.length - 1];
    if (defs.has(ch)) continue;
    const base = [e.code.slice(0, -1), ...ancestorsOf(e.code.slice(0, -1)).reverse()]
      .map((a) => version.get(a))
      .find((x) => x);
    const tail =
      base && e.display.startsWith(base.display)
        ? e.display.slice(base.display.length).replace(/^,\s*/, '')
        : '';
    if (tail) defs.set(ch, tail);
  }
  if (defs.size === 0) return undefined;
  const bare = code.replace('.', '');
  const rule: SeventhCharacterRule = {
    source: category,
    basis: 'order-file',
    definitions: [...defs]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([char, description]) => ({ char, description })),
    placeholder: { usesPlaceholder: bare.length === 7 && /X/.test(bare.slice(3, 6)), rule: PLACEHOLDER_RULE },
  };
  const cur = bare.length === 7 ? rule.definitions.find((d) => d.char === bare[6]) : undefined;
  if (cur) rule.current = cur;
  return rule;
}

/** The 7th-character list from the nearest ancestor that defines one, else as inferred from the order file. */
export function seventhCharacterRule(
  code: string,
  s: Structure,
  version?: CodeSystemVersion,
): SeventhCharacterRule | undefined {
  const bare = code.replace('.', '');
  const chain = [...ancestorsOf(code), code].reverse();
  for (const a of chain) {
    const d = s.notes.diag(a);
    if (!d?.node.sevenChr) continue;
    const rule: SeventhCharacterRule = {
      source: a,
      tabularYear: d.year,
      basis: 'tabular',
      definitions: d.node.sevenChr,
      placeholder: {
        usesPlaceholder: bare.length === 7 && /X/.test(bare.slice(3, 6)),
        rule: PLACEHOLDER_RULE,
      },
    };
    if (bare.length === 7) {
      const cur = d.node.sevenChr.find((c) => c.char === bare[6]);
      if (cur) rule.current = cur;
    }
    return rule;
  }
  return version ? inferredSeventh(code, version) : undefined;
}
