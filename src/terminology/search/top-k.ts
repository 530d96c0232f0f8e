// Keeps the k best-scoring items of a stream without sorting the whole stream (a bounded min-heap).
export class TopK<T> {
  private readonly items: T[] = [];
  private readonly scores: number[] = [];

  constructor(
    private readonly k: number,
    /** Ties: true when `a` should rank before `b`. */
    private readonly before: (a: T, b: T) => boolean,
  ) {}

  private less(i: number, j: number): boolean {
    // "less" = ranks lower (worse): lower score, or equal score and not before
    if (this.scores[i] !== this.scores[j]) return this.scores[i] < this.scores[j];
    return this.before(this.items[j], this.items[i]);
  }

  private swap(i: number, j: number): void {
    [this.items[i], this.items[j]] = [this.items[j], this.items[i]];
    [this.scores[i], this.scores[j]] = [this.scores[j], this.scores[i]];
  }

  push(item: T, score: number): void {
    if (this.items.length < this.k) {
      this.items.push(item);
      this.scores.push(score);
      let i = this.items.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (score < this.scores[0] || (score === this.scores[0] && !this.before(item, this.items[0]))) return;
    this.items[0] = item;
    this.scores[0] = score;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** Best first. */
  sorted(): { item: T; score: number }[] {
    return this.items
      .map((item, i) => ({ item, score: this.scores[i] }))
      .sort(
        (a, b) =>
          b.score - a.score || (this.before(a.item, b.item) ? -1 : this.before(b.item, a.item) ? 1 : 0),
      );
  }
}
