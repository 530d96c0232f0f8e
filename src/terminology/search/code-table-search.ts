// Search of the Neoplasm Table (site x behavior) and the Table of Drugs and Chemicals (substance x intent).
import type { CodeSystemVersion } from '../code-system.js';
import type { CodeTable } from '../loaders/icd10cm-table-xml.js';
import { expandAbbreviation } from './abbreviations.js';
import { tokenize, words } from './tokenize.js';

export interface TableCell {
  column: string;
  /** Code as printed; a trailing "-" (or a drug code without its 7th character) needs completing in the tabular. */
  code: string;
  /** Whether the printed code is itself billable in the loaded version. */
  billable: boolean;
  display?: string;
}

export interface TableHit {
  path: string[];
  nonEssential: string[];
  score: number;
  cells: TableCell[];
  see?: string;
  seeAlso?: string;
}

export interface TableSearchResponse {
  table: 'neoplasm' | 'drug';
  year: number;
  columns: string[];
  query: string;
  total: number;
  hits: TableHit[];
}

export class CodeTableSearch {
  private readonly rowTokens: Set<string>[];
  private readonly rowTokenLists: string[][];
  private readonly rowPathLength: number[];

  constructor(
    readonly name: 'neoplasm' | 'drug',
    readonly table: CodeTable,
    private readonly version: CodeSystemVersion,
  ) {
    // The neoplasm table's single main term ("Neoplasm, neoplastic") says nothing about the site: leave it out.
    const skip = name === 'neoplasm' ? 1 : 0;
    this.rowTokens = table.rows.map(
      (r) => new Set(tokenize([...r.path.slice(skip), ...r.nonEssential].join(' '))),
    );
    this.rowPathLength = table.rows.map((r) => new Set(tokenize(r.path.slice(skip).join(' '))).size);
    this.rowTokenLists = this.rowTokens.map((t) => [...t]);
  }

  /** `column` narrows to one behavior or intent by a word of its heading ("benign", "secondary", "self-harm", "adverse"). */
  search(query: string, options: { column?: string; limit?: number } = {}): TableSearchResponse {
    const limit = options.limit ?? 20;
    const slots: string[][] = [];
    for (const w of words(query)) {
      const exp = expandAbbreviation(w);
      if (exp && w.length < 3) for (const s of exp) slots.push(s.flatMap((a) => tokenize(a)));
      else {
        const t = tokenize(w);
        if (t.length > 0) slots.push(t);
      }
    }
    const scored: { i: number; score: number }[] = [];
    if (slots.length > 0) {
      this.rowTokens.forEach((tokens, i) => {
        let matched = 0;
        for (const alts of slots) {
          if (
            alts.some(
              (a) => tokens.has(a) || (a.length >= 3 && this.rowTokenLists[i].some((t) => t.startsWith(a))),
            )
          )
            matched++;
        }
        if (matched === 0) return;
        const score = matched / slots.length + (0.5 * matched) / Math.max(1, this.rowPathLength[i]);
        scored.push({ i, score });
      });
    }
    const best = scored.reduce((m, s) => Math.max(m, s.score), 0);
    const top = scored.filter((s) => s.score >= best - 0.34).sort((a, b) => b.score - a.score || a.i - b.i);
    const column = options.column?.toLowerCase();
    const columns = column
      ? this.table.columns.filter((c) => c.toLowerCase().includes(column))
      : this.table.columns;
    return {
      table: this.name,
      year: this.table.year,
      columns,
      query,
      total: top.length,
      hits: top.slice(0, limit).map(({ i, score }) => {
        const r = this.table.rows[i];
        const hit: TableHit = {
          path: r.path,
          nonEssential: r.nonEssential,
          score: Math.round(score * 1000) / 1000,
          cells: columns
            .filter((c) => r.cells[c])
            .map((c) => {
              const code = r.cells[c];
              const e = this.version.get(code.replace(/-$/, ''));
              const cell: TableCell = { column: c, code, billable: !!e?.billable && !code.endsWith('-') };
              if (e) cell.display = e.display;
              return cell;
            }),
        };
        if (r.see) hit.see = r.see;
        if (r.seeAlso) hit.seeAlso = r.seeAlso;
        return hit;
      }),
    };
  }
}
