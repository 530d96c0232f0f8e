// A one-line progress bar on stderr (redrawn in place on a terminal, a line every few seconds otherwise).

export class ProgressBar {
  private lastLine = 0;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string) {}

  update(done: number, total: number, detail: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastLine < (this.tty ? 100 : 3000)) return;
    this.lastLine = now;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const elapsed = (now - this.started) / 1000;
    const eta = frac > 0 && frac < 1 ? ` eta ${Math.round((elapsed / frac) * (1 - frac))}s` : '';
    const line = `${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${detail} ${elapsed.toFixed(0)}s${eta}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
