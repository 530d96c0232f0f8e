// RFC 4180 CSV parsing (quoted fields, doubled quotes, embedded newlines) into records keyed by header.
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
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
