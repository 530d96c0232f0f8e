// The Tabular List as one merged view: the newest file that covers a chapter wins, and every node remembers its year.
import type { TabularDiag, TabularGroup, TabularList } from '../loaders/icd10cm-tabular-xml.js';

export interface Dated<T> {
  node: T;
  year: number;
}

export class TabularNotes {
  private readonly diags = new Map<string, Dated<TabularDiag>>();
  private readonly sections = new Map<string, Dated<TabularGroup>>();
  private readonly chapters = new Map<string, Dated<TabularGroup>>();
  readonly sources: { year: number; file: string; chapters: string[] }[] = [];

  constructor(lists: TabularList[]) {
    for (const list of lists) {
      const chapters = new Set(list.chapters.keys());
      for (const [code, d] of this.diags) if (chapters.has(d.node.chapter)) this.diags.delete(code);
      for (const [id, s] of this.sections) if (chapters.has(s.node.chapter)) this.sections.delete(id);
      for (const [code, node] of list.diags) this.diags.set(code, { node, year: list.year });
      for (const [id, node] of list.sections) this.sections.set(id, { node, year: list.year });
      for (const [id, node] of list.chapters) this.chapters.set(id, { node, year: list.year });
      this.sources.push({ year: list.year, file: list.file, chapters: [...chapters] });
    }
  }

  diag(code: string): Dated<TabularDiag> | undefined {
    return this.diags.get(code);
  }

  section(id: string): Dated<TabularGroup> | undefined {
    return this.sections.get(id);
  }

  /**
   * The tabular section holding a category when block ids differ between years (FY2025 "I10-I1A" was
   * "I10-I16" in FY2017): the narrowest section whose range contains it.
   */
  sectionContaining(category: string): Dated<TabularGroup> | undefined {
    let best: Dated<TabularGroup> | undefined;
    let bestRange: [string, string] | undefined;
    for (const s of this.sections.values()) {
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
    return this.chapters.get(id);
  }

  allDiags(): IterableIterator<Dated<TabularDiag>> {
    return this.diags.values();
  }
}
