// RFC 4180 CSV parsing (quoted fields, doubled quotes, embedded newlines) into records keyed by header.
import { ownString } from './read-data-file.js';
export function parseCsv(text: string): string[][] {
  // Fields are cut with slice() rather than grown a character at a time: far fewer intermediate strings.
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let field: string;
    if (text.charCodeAt(i) === 34) {
      let j = i + 1;
      let parts = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Error(`unterminated quoted CSV field at offset ${i}`);
        if (text.charCodeAt(q + 1) === 34) {
          parts += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        field = parts + text.slice(j, q);
        i = q + 1;
        break;
      }
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10 || c === 13) break;
        j++;
      }
      field = text.slice(i, j);
      i = j;
    }
    row.push(ownString(field));
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      if (i === n) row.push('');
      continue;
    }
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    i++;
    rows.push(row);
    row = [];
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/** Records keyed by the header row's names; throws when a required column is missing. */
export function parseCsvRecords(text: string, required: string[] = []): Record<string, string>[] {
  const rows = parseCsv(text);
  const header = (rows.shift() ?? []).map((h) => h.trim());
  for (const r of required) {
    if (!header.includes(r)) throw new Error(`CSV lacks column "${r}" (has: ${header.join(', ')})`);
  }
  return rows
    .filter((r) => r.length > 1 || (r[0] ?? '') !== '')
    .map((r) => {
      const rec: Record<string, string> = {};
      header.forEach((h, i) => {
        rec[h] = r[i] ?? '';
      });
      return rec;
    });
}
