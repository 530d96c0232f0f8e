// The container of the code-set cache: named sections of typed arrays, string lists and small JSON values in one
// file, read back in two reads with zero-copy typed-array views (no object per posting, nothing to re-parse).
import { closeSync, openSync, readSync } from 'node:fs';

const MAGIC = 0x43525443; // "CRTC"

type Numeric = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const ARRAY_KINDS = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
} as const;

type ArrayKind = keyof typeof ARRAY_KINDS;
type SectionKind = ArrayKind | 'strings' | 'json';

interface SectionHeader {
  name: string;
  kind: SectionKind;
  offset: number; // from the start of the body (8-byte aligned)
  bytes: number;
  count?: number; // strings: how many
}

/** Strings never contain this character in the code sets; it separates the members of a string list. */
const SEP = '\u0000';

function kindOf(a: Numeric): ArrayKind {
  for (const [k, ctor] of Object.entries(ARRAY_KINDS)) if (a instanceof ctor) return k as ArrayKind;
  throw new Error('unsupported array type');
}

interface Region {
  sections: SectionHeader[];
  chunks: Buffer[];
  size: number;
}

/**
 * Two regions: the typed arrays, kept in memory as the arrays' own storage, and the text (string lists, JSON),
 * decoded at load and then dropped.
 */
export class SnapshotWriter {
  private readonly arrays: Region = { sections: [], chunks: [], size: 0 };
  private readonly text: Region = { sections: [], chunks: [], size: 0 };
  private readonly names = new Set<string>();

  private push(name: string, kind: SectionKind, bytes: Buffer, count?: number): void {
    if (this.names.has(name)) throw new Error(`snapshot section "${name}" written twice`);
    this.names.add(name);
    const r = kind === 'strings' || kind === 'json' ? this.text : this.arrays;
    r.sections.push({
      name,
      kind,
      offset: r.size,
      bytes: bytes.length,
      ...(count === undefined ? {} : { count }),
    });
    r.chunks.push(bytes);
    r.size += bytes.length;
    const pad = (8 - (r.size % 8)) % 8;
    if (pad) {
      r.chunks.push(Buffer.alloc(pad));
      r.size += pad;
    }
  }

  array(name: string, a: Numeric): void {
    this.push(name, kindOf(a), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }

  strings(name: string, list: readonly string[]): void {
    for (const s of list)
      if (s.includes(SEP)) throw new Error(`snapshot section "${name}": string holds U+0000`);
    this.push(name, 'strings', Buffer.from(list.join(SEP), 'utf8'), list.length);
  }

  json(name: string, value: unknown): void {
    this.push(name, 'json', Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** Magic, format version, header length, header JSON, then the array region and the text region. */
  encode(formatVersion: number, meta: unknown): Buffer {
    const header = Buffer.from(
      JSON.stringify({
        meta,
        arrayBytes: this.arrays.size,
        textBytes: this.text.size,
        arrays: this.arrays.sections,
        text: this.text.sections,
      }),
      'utf8',
    );
    const head = Buffer.alloc(12);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(formatVersion, 4);
    head.writeUInt32LE(header.length, 8);
    return Buffer.concat([head, header, ...this.arrays.chunks, ...this.text.chunks]);
  }
}

interface FileHeader {
  meta: unknown;
  arrayBytes: number;
  textBytes: number;
  arrays: SectionHeader[];
  text: SectionHeader[];
}

function readExactly(fd: number, length: number, position: number): Buffer {
  // its own ArrayBuffer (never a slice of the shared pool): typed-array views on it are aligned
  const buf = Buffer.allocUnsafeSlow(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error('code-set cache file is truncated');
    done += n;
  }
  return buf;
}

export class SnapshotReader {
  private readonly sections = new Map<string, SectionHeader>();
  private readonly arrayRegion: Buffer;
  /** Dropped by release() once everything is decoded. */
  private textRegion: Buffer | undefined;
  readonly meta: unknown;

  /**
   * Reads the file in two reads: the typed arrays (whose views keep that region alive) and the text (decoded,
   * then released). Throws when the file is not a snapshot of `formatVersion` (the caller then rebuilds it).
   */
  constructor(file: string, formatVersion: number) {
    const fd = openSync(file, 'r');
    try {
      const head = readExactly(fd, 12, 0);
      if (head.readUInt32LE(0) !== MAGIC) throw new Error('not a code-set cache file');
      if (head.readUInt32LE(4) !== formatVersion) throw new Error('code-set cache of another format version');
      const headerLength = head.readUInt32LE(8);
      const header = JSON.parse(readExactly(fd, headerLength, 12).toString('utf8')) as FileHeader;
      this.meta = header.meta;
      for (const s of header.arrays) this.sections.set(s.name, s);
      for (const s of header.text) this.sections.set(s.name, s);
      this.arrayRegion = readExactly(fd, header.arrayBytes, 12 + headerLength);
      this.textRegion = readExactly(fd, header.textBytes, 12 + headerLength + header.arrayBytes);
    } finally {
      closeSync(fd);
    }
  }

  private section(name: string, kind: SectionKind): SectionHeader {
    const s = this.sections.get(name);
    if (!s || s.kind !== kind) throw new Error(`code-set cache: section "${name}" (${kind}) missing`);
    return s;
  }

  private text(s: SectionHeader): string {
    if (!this.textRegion) throw new Error('code-set cache: text already released');
    return this.textRegion.toString('utf8', s.offset, s.offset + s.bytes);
  }

  /** A view on the file's bytes (no copy). */
  array<K extends ArrayKind>(name: string, kind: K): InstanceType<(typeof ARRAY_KINDS)[K]> {
    const s = this.section(name, kind);
    const ctor = ARRAY_KINDS[kind];
    return new ctor(
      this.arrayRegion.buffer as ArrayBuffer,
      this.arrayRegion.byteOffset + s.offset,
      s.bytes / ctor.BYTES_PER_ELEMENT,
    ) as InstanceType<(typeof ARRAY_KINDS)[K]>;
  }

  strings(name: string): string[] {
    const s = this.section(name, 'strings');
    return s.count === 0 ? [] : this.text(s).split(SEP);
  }

  json<T>(name: string): T {
    return JSON.parse(this.text(this.section(name, 'json'))) as T;
  }

  /**
   * A JSON section decoded on first use: its bytes are copied out (the text region is released after the
   * load), and parsed when the value is first asked for.
   */
  jsonLater<T>(name: string): () => T {
    const s = this.section(name, 'json');
    if (!this.textRegion) throw new Error('code-set cache: text already released');
    let bytes: Buffer | undefined = Buffer.from(this.textRegion.subarray(s.offset, s.offset + s.bytes));
    let value: T | undefined;
    return () => {
      if (bytes) {
        value = JSON.parse(bytes.toString('utf8')) as T;
        bytes = undefined;
      }
      return value as T;
    };
  }

  /** Lets the text region go (every string and JSON section has been decoded). */
  release(): void {
    this.textRegion = undefined;
  }
}
