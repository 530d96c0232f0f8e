// Reads the first worksheet of an .xlsx workbook (a zip of XML parts) into rows of strings, with node's zlib only.
import { inflateRawSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';

/** Entries of a zip archive, from its central directory. Supports stored and deflated members. */
export function readZipEntries(zip: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end-of-central-directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const localNameLen = zip.readUInt16LE(localOffset + 26);
    const localExtraLen = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLen + localExtraLen;
    const data = zip.subarray(start, start + compSize);
    if (method === 0) out.set(name, Buffer.from(data));
    else if (method === 8) out.set(name, inflateRawSync(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

type XmlNode = Record<string, unknown>;

function cellText(si: unknown): string {
  if (si === undefined || si === null) return '';
  if (typeof si !== 'object') return String(si);
  const o = si as XmlNode;
  if ('t' in o) return cellText(o.t);
  if ('#text' in o) return String(o['#text']);
  if ('r' in o) return (o.r as unknown[]).map((r) => cellText((r as XmlNode).t)).join('');
  return '';
}

function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref.replace(/\d+$/, '')) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function readFirstSheet(xlsx: Buffer): string[][] {
  const entries = readZipEntries(xlsx);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    trimValues: false,
    isArray: (n) => ['si', 'r', 'row', 'c'].includes(n),
  });
  const shared: string[] = [];
  const sst = entries.get('xl/sharedStrings.xml');
  if (sst) {
    const doc = parser.parse(sst.toString('utf8')) as XmlNode;
    for (const si of ((doc.sst as XmlNode).si as unknown[]) ?? []) shared.push(cellText(si));
  }
  const sheet = entries.get('xl/worksheets/sheet1.xml');
  if (!sheet) throw new Error('workbook has no xl/worksheets/sheet1.xml');
  const doc = parser.parse(sheet.toString('utf8')) as XmlNode;
  const rows = (((doc.worksheet as XmlNode).sheetData as XmlNode).row as XmlNode[]) ?? [];
  return rows.map((row) => {
    const out: string[] = [];
    for (const c of (row.c as XmlNode[]) ?? []) {
      const v = c.v === undefined ? '' : cellText(c.v);
      const text =
        c['@_t'] === 's' ? (shared[Number(v)] ?? '') : c['@_t'] === 'inlineStr' ? cellText(c.is) : v;
      out[columnIndex(String(c['@_r']))] = text.trim();
    }
    return Array.from(out, (x) => x ?? '');
  });
}
