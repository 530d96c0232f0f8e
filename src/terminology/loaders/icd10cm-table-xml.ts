// Loader for the CDC Neoplasm Table and Table of Drugs and Chemicals XML: one row per term path, one code per column.
import { XMLParser } from 'fast-xml-parser';
import { canonicalCode } from '../systems.js';
import { ownString, readDataText } from './read-data-file.js';

export interface TableRow {
  path: string[];
  nonEssential: string[];
  /** Column heading -> code ("-" suffix = needs more characters); absent cell = no code. */
  cells: Record<string, string>;
  see?: string;
  seeAlso?: string;
}

export interface CodeTable {
  year: number;
  file: string;
  columns: string[]; // headings of columns 2..n (column 1 is the term)
  rows: TableRow[];
}

type XmlNode = Record<string, unknown>;

function textOf(v: unknown): { text: string; nemod: string[] } {
  if (v === undefined || v === null) return { text: '', nemod: [] };
  if (typeof v !== 'object') return { text: ownString(String(v).trim()), nemod: [] };
  const o = v as XmlNode;
  const nem =
    o.nemod === undefined ? [] : (Array.isArray(o.nemod) ? o.nemod : [o.nemod]).map((x) => String(x).trim());
  return { text: ownString(String(o['#text'] ?? '').trim()), nemod: nem.map(ownString) };
}

function codeOf(raw: string): string {
  const c = raw.trim();
  if (!c || /^-+$/.test(c)) return '';
  return c.endsWith('-') ? `${canonicalCode('icd10cm', c.slice(0, -1))}-` : canonicalCode('icd10cm', c);
}

export function parseCodeTableXml(xml: string, file: string): CodeTable {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => ['letter', 'mainTerm', 'term', 'cell', 'head', 'nemod'].includes(name),
  });
  const root = (parser.parse(xml) as XmlNode)['ICD10CM.index'] as XmlNode | undefined;
  if (!root) throw new Error(`${file}: not an ICD-10-CM index/table XML`);
  const heads = ((root.indexHeading as XmlNode | undefined)?.head as XmlNode[] | undefined) ?? [];
  const headByCol = new Map<string, string>();
  for (const h of heads) headByCol.set(String(h['@_col']), String(h['#text'] ?? '').trim());
  const columns = [...headByCol.entries()].filter(([c]) => c !== '1').map(([, h]) => h);
  const table: CodeTable = { year: Number(root.version), file, columns, rows: [] };
  const walk = (node: XmlNode, parentPath: string[], parentNem: string[]): void => {
    const t = textOf(node.title);
    const path = [...parentPath, t.text];
    const nonEssential = [...parentNem, ...t.nemod];
    const cells: Record<string, string> = {};
    for (const cell of (node.cell as XmlNode[] | undefined) ?? []) {
      const col = String(cell['@_col']);
      const code = codeOf(String(cell['#text'] ?? ''));
      const head = headByCol.get(col);
      if (code && head && col !== '1') cells[head] = code;
    }
    const row: TableRow = { path, nonEssential, cells };
    const see = textOf(node.see).text;
    const seeAlso = textOf(node.seeAlso).text;
    if (see) row.see = see;
    if (seeAlso) row.seeAlso = seeAlso;
    table.rows.push(row);
    for (const child of (node.term as XmlNode[] | undefined) ?? []) walk(child, path, nonEssential);
  };
  for (const letter of (root.letter as XmlNode[] | undefined) ?? []) {
    for (const mt of (letter.mainTerm as XmlNode[] | undefined) ?? []) walk(mt, [], []);
  }
  return table;
}

export async function loadCodeTableXml(path: string): Promise<CodeTable> {
  return parseCodeTableXml(await readDataText(path), path.split('/').pop() ?? path);
}
