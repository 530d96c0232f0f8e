// Reads a Bundle file (plain or gzip) as a stream and hands out its top-level members one at a time, each
// as JSON text: every element of `entry` on its own, the other members (type, resourceType...) whole. The
// tokens come from stream-json; numbers arrive as their written text, so the JSON rebuilt here keeps
// every decimal as written for parseJson (src/fhir/json.ts). Memory: one entry at a time.
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import { none } from 'stream-chain/defs.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';

export interface BundleMember {
  /** The top-level key: `entry` for each element of the entry array. */
  key: string;
  /** For `entry`: the element's position in the array. */
  index?: number;
  /** The value as JSON text. */
  text: string;
}

/** Rebuilds the JSON text of one value from its tokens (packed keys, strings and numbers). */
class ValueText {
  private text = '';
  /** Per open container: is it an object, and how many members so far. */
  private readonly open: { object: boolean; n: number }[] = [];

  /** Adds a token; true when the value is complete. */
  add(t: Token): boolean {
    const top = this.open[this.open.length - 1];
    switch (t.name) {
      case 'keyValue':
        if (top && top.n++ > 0) this.text += ',';
        this.text += `${JSON.stringify(t.value)}:`;
        return false;
      case 'endObject':
      case 'endArray':
        this.open.pop();
        this.text += t.name === 'endObject' ? '}' : ']';
        return this.open.length === 0;
      case 'startObject':
      case 'startArray':
      case 'stringValue':
      case 'numberValue':
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        if (top && !top.object && top.n++ > 0) this.text += ',';
        if (t.name === 'startObject' || t.name === 'startArray') {
          this.open.push({ object: t.name === 'startObject', n: 0 });
          this.text += t.name === 'startObject' ? '{' : '[';
          return false;
        }
        this.text += t.name === 'stringValue' ? JSON.stringify(t.value) : String(t.value);
        return this.open.length === 0;
      default:
        return false;
    }
  }

  toString(): string {
    return this.text;
  }
}

/** Walks the tokens of the root object: members outside `entry` whole, entries one by one. */
class BundleWalker {
  private depth = 0;
  private key = '';
  private inEntries = false;
  private index = 0;
  private value: ValueText | undefined;

  constructor(private readonly out: BundleMember[]) {}

  add(t: Token): void {
    if (this.value) {
      if (!this.value.add(t)) return;
      this.out.push(
        this.inEntries
          ? { key: 'entry', index: this.index++, text: this.value.toString() }
          : { key: this.key, text: this.value.toString() },
      );
      this.value = undefined;
      return;
    }
    if (this.depth === 0) {
      if (t.name !== 'startObject') throw new SyntaxError('A Bundle file holds one JSON object');
      this.depth = 1;
    } else if (this.inEntries) {
      if (t.name === 'endArray') this.inEntries = false;
      else this.startValue(t);
    } else if (t.name === 'keyValue') this.key = t.value;
    else if (t.name === 'endObject') this.depth = 0;
    else if (t.name === 'startArray' && this.key === 'entry') {
      this.inEntries = true;
      this.index = 0;
    } else this.startValue(t);
  }

  private startValue(t: Token): void {
    this.value = new ValueText();
    this.add(t);
  }
}

/**
 * The top-level members of the Bundle file in order. `onBytes` gets the bytes read from the file so far
 * (compressed bytes for .gz, the unit of the file's size). Throws SyntaxError on text that is not JSON.
 */
export async function* bundleMembers(
  p: string,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<BundleMember> {
  const raw = fs.createReadStream(p, { highWaterMark: 1 << 20 });
  const gunzip = /\.gz$/i.test(p) ? zlib.createGunzip() : undefined;
  const text = gunzip ? pipeline(raw, gunzip, () => undefined) : raw;
  let plainBytes = 0;
  const parse = jsonParser({ packValues: true, streamValues: false }) as (
    text: string | typeof none,
  ) => unknown;
  const utf8 = new StringDecoder('utf8');
  const out: BundleMember[] = [];
  const walker = new BundleWalker(out);
  const feed = (text: string | typeof none) => {
    let res: unknown;
    try {
      res = parse(text);
    } catch (err) {
      throw new SyntaxError((err as Error).message);
    }
    if (res === none) return;
    for (const t of (res as { values: Token[] }).values) walker.add(t);
  };
  try {
    let first = true;
    for await (const chunk of text) {
      plainBytes += (chunk as Buffer).length;
      let s = utf8.write(chunk as Buffer);
      // a leading byte-order mark is not part of the JSON text
      if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
      feed(s);
      // of a gzip file, the compressed bytes the decompressor has taken in (the file is read ahead)
      onBytes?.(gunzip ? gunzip.bytesWritten : plainBytes);
      for (const m of out.splice(0)) yield m;
    }
    const rest = utf8.end();
    if (rest) feed(rest);
    feed(none);
    for (const m of out.splice(0)) yield m;
  } finally {
    raw.destroy();
  }
}
