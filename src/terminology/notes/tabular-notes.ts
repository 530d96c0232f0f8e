// The Tabular List as one merged view: the newest file that covers a chapter wins, and every node remembers its year.
import type { TabularDiag, TabularGroup, TabularList } from '../loaders/icd10cm-tabular-xml.js';

export interface Dated<T> {
  node: T;
  year: number;
}

export interface PlainTabularNotes {
  diags: [string, TabularDiag][];
  sections: [string, TabularGroup][];
  chapters: [string, TabularGroup][];
  chapterYears: [string, number][];
  sources: { year: number; file: string; chapters: string[] }[];
}

/**
 * Nodes are held once, in one Map per level; their year is the year of the file that supplied their chapter
 * (a newer file replaces whole chapters), so no wrapper object is kept per code.
 */
export class TabularNotes {
  private readonly diags = new Map<string, TabularDiag>();
  private readonly sections = new Map<string, TabularGroup>();
  private readonly chapters = new Map<string, TabularGroup>();
  private readonly chapterYears = new Map<string, number>();
  readonly sources: { year: number; file: string; chapters: string[] }[] = [];

  constructor(lists: TabularList[]) {
    for (const list of [...lists].sort((a, b) => a.year - b.year)) this.merge(list);
  }

  /** Adds a Tabular List file: its chapters replace those of older years (never of newer ones). */
  merge(list: TabularList): void {
    const chapters = new Set(
      [...list.chapters.keys()].filter(
        (id) => (this.chapterYears.get(id) ?? Number.NEGATIVE_INFINITY) <= list.year,
      ),
    );
    for (const [code, d] of this.diags) if (chapters.has(d.chapter)) this.diags.delete(code);
    for (const [id, s] of this.sections) if (chapters.has(s.chapter)) this.sections.delete(id);
    for (const [code, node] of list.diags) if (chapters.has(node.chapter)) this.diags.set(code, node);
    for (const [id, node] of list.sections) if (chapters.has(node.chapter)) this.sections.set(id, node);
    for (const id of chapters) {
      this.chapters.set(id, list.chapters.get(id) as TabularGroup);
      this.chapterYears.set(id, list.year);
    }
    this.sources.push({ year: list.year, file: list.file, chapters: [...chapters] });
  }

  /** Everything held, as plain data, for the code-set cache. */
  toPlain(): PlainTabularNotes {
    return {
      diags: [...this.diags],
      sections: [...this.sections],
      chapters: [...this.chapters],
      chapterYears: [...this.chapterYears],
      sources: this.sources,
    };
  }

  static fromPlain(p: PlainTabularNotes): TabularNotes {
    const t = new TabularNotes([]);
    // most nodes have no notes: one shared empty list, as the XML loader gives them
    const none: TabularDiag['notes'] = [];
    for (const [code, d] of p.diags) {
      if (d.notes.length === 0) d.notes = none;
      t.diags.set(code, d);
    }
    for (const [id, s] of p.sections) t.sections.set(id, s);
    for (const [id, c] of p.chapters) t.chapters.set(id, c);
    for (const [id, y] of p.chapterYears) t.chapterYears.set(id, y);
    t.sources.push(...p.sources);
    return t;
  }

  private dated<T extends { chapter: string }>(node: T | undefined): Dated<T> | undefined {
    return node ? { node, year: this.chapterYears.get(node.chapter) ?? 0 } : undefined;
  }

  diag(code: string): Dated<TabularDiag> | undefined {
    return this.dated(this.diags.get(code));
  }

  section(id: string): Dated<TabularGroup> | undefined {
    return this.dated(this.sections.get(id));
  }

  /**
   * The tabular section holding a category when block ids differ between years (FY2025 "I10-I1A" was
   * "I10-I16" in FY2017): the narrowest section whose range contains it.
   */
  sectionContaining(category: string): Dated<TabularGroup> | undefined {
    let best: Dated<TabularGroup> | undefined;
    let bestRange: [string, string] | undefined;
    for (const node of this.sections.values()) {
      const s = this.dated(node) as Dated<TabularGroup>;
      const m = /^([A-Z](?:\d[0-9A-Z]|[A-Z]\d))(?:-([A-Z](?:\d[0-9A-Z]|[A-Z]\d)))?$/.exec(s.node.id);
      if (!m) continue;
      const range: [string, string] = [m[1], m[2] ?? m[1]];
      if (category < range[0] || category > range[1]) continue;
      if (!bestRange || (range[0] >= bestRange[0] && range[1] <= bestRange[1])) {
        best = s;
        bestRange = range;
      }
    }
    return best;
  }

  chapter(id: string): Dated<TabularGroup> | undefined {
    return this.dated(this.chapters.get(id));
  }

  *allDiags(): IterableIterator<Dated<TabularDiag>> {
    for (const node of this.diags.values()) yield { node, year: this.chapterYears.get(node.chapter) ?? 0 };
  }
}
