// Writes a bulk export's NDJSON files: one file per resource type, split after a number of lines, each
// written through a stream with back-pressure (memory stays at one batch plus the stream buffers).

import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { parseJson, stringifyJson } from '../../fhir/json.js';
import type { ExportFile } from './export-jobs.js';

interface OpenFile {
  name: string;
  type: string;
  stream: fs.WriteStream;
  count: number;
  patients: Set<string>;
}

export class NdjsonFiles {
  private readonly open = new Map<string, OpenFile>();
  private readonly parts = new Map<string, number>();
  /** The first error of any file stream (disk full, folder removed by a cancellation). */
  private failed: Error | undefined;

  constructor(
    private readonly dir: string,
    private readonly linesPerFile: number,
    /** The stored JSON as the requester may see it (SSNs opened or masked: store/ssn-sealing.ts). */
    private readonly reveal: (content: string) => string,
    /** Called with each file once it is complete on disk. */
    private readonly onClosed: (f: ExportFile) => Promise<void>,
  ) {}

  /** Appends resources (stored JSON text) of one type, with the patients each belongs to. */
  async write(type: string, rows: { content: string; patients: string[] }[]): Promise<void> {
    let i = 0;
    while (i < rows.length) {
      if (this.failed) throw this.failed;
      const f = this.open.get(type) ?? this.openFile(type);
      const take = Math.min(rows.length - i, this.linesPerFile - f.count);
      let chunk = '';
      for (let k = i; k < i + take; k++) {
        const row = rows[k];
        const content = this.reveal(row.content);
        // Stored documents are compact JSON; re-serialise defensively if one ever held a raw line break.
        chunk += `${content.includes('\n') ? stringifyJson(parseJson(content)) : content}\n`;
        for (const p of row.patients) f.patients.add(p);
      }
      f.count += take;
      i += take;
      if (!f.stream.write(chunk)) await once(f.stream, 'drain');
      if (f.count >= this.linesPerFile) await this.closeFile(f);
    }
  }

  private openFile(type: string): OpenFile {
    const n = (this.parts.get(type) ?? 0) + 1;
    this.parts.set(type, n);
    const name = `${type}-${n}.ndjson`;
    const f: OpenFile = {
      name,
      type,
      stream: fs.createWriteStream(path.join(this.dir, name), { highWaterMark: 1 << 20 }),
      count: 0,
      patients: new Set(),
    };
    f.stream.on('error', (err) => {
      this.failed ??= err;
    });
    this.open.set(type, f);
    return f;
  }

  private async closeFile(f: OpenFile): Promise<void> {
    this.open.delete(f.type);
    await new Promise<void>((resolve, reject) => {
      f.stream.once('error', reject);
      f.stream.end(() => resolve());
    });
    if (this.failed) throw this.failed;
    await this.onClosed({ name: f.name, type: f.type, count: f.count, patients: [...f.patients] });
  }

  /** Finishes every open file. */
  async close(): Promise<void> {
    for (const f of [...this.open.values()]) await this.closeFile(f);
  }

  /** Stops writing without recording anything (cancellation, failure). */
  destroy(): void {
    for (const f of this.open.values()) f.stream.destroy();
    this.open.clear();
  }
}
