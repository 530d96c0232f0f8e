// Generates a large data set for the search benchmarks: the Synthea corpus patients cloned again and
// again, each clone with fresh ids (every reference inside it rewritten), another family name and all
// its dates shifted by one random number of days. Written as gzip NDJSON, one series of files per
// type, in constant memory (one patient bundle at a time) and deterministically from a seed.
// Usage: node dist/bench/generate.js [--out /tmp/chartroom-1m] [--resources 1000000] [--seed 1]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { corpusDir, fmt } from './support.js';

/** Bump when the output changes, so that loaded benchmark databases are reloaded. */
export const GENERATOR_VERSION = 'generate/1';
const FILE_LINES = 50_000;
// Not named .json: the importer would take it for a Bundle.
const MANIFEST = 'generated.manifest';
// Resources outside every patient's record: written once and shared by all clones, as in Synthea.
const SHARED_TYPES = new Set(['Organization', 'Practitioner', 'Location', 'PractitionerRole']);
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
// Whole JSON string values that are FHIR dates, dateTimes or instants (the corpus uses no partial dates).
const DATE_VALUE_RE = /"(\d{4})-(\d{2})-(\d{2})(T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))?"/g;

// US family names with their frequency per 100,000 people (2010 census), so that a prefix search such
// as name=smi matches about one patient in a hundred; the others keep their Synthea family name.
const COMMON_FAMILIES: [string, number][] = [
  ['Smith', 828],
  ['Johnson', 655],
  ['Williams', 550],
  ['Brown', 487],
  ['Jones', 483],
  ['Garcia', 395],
  ['Miller', 394],
  ['Davis', 386],
  ['Rodriguez', 350],
  ['Martinez', 342],
  ['Hernandez', 336],
  ['Lopez', 290],
  ['Gonzalez', 285],
  ['Wilson', 280],
  ['Anderson', 275],
  ['Thomas', 264],
  ['Taylor', 262],
  ['Moore', 248],
  ['Jackson', 241],
  ['Martin', 239],
  ['Lee', 233],
  ['Smithson', 6],
  ['Smiley', 5],
];
const COMMON_TOTAL = COMMON_FAMILIES.reduce((s, [, n]) => s + n, 0);

/** mulberry32: a small, fast, seedable generator (the output must not depend on Math.random). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 4 }, () =>
    Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function shiftDate(y: string, m: string, d: string, days: number): string {
  const t = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)) + days * 86_400_000);
  return t.toISOString().slice(0, 10);
}

function familyFor(rand: () => number, original: string): string {
  let x = rand() * 100_000;
  if (x >= COMMON_TOTAL) return original;
  for (const [name, n] of COMMON_FAMILIES) {
    x -= n;
    if (x < 0) return name;
  }
  return original;
}

type Json = Record<string, unknown>;

/** Rewrites `urn:uuid:` references to `Type/id`, in place. */
function rewriteReferences(node: unknown, targets: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const x of node) rewriteReferences(x, targets);
  } else if (node && typeof node === 'object') {
    const o = node as Json;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) {
        const t = targets.get(v);
        if (t) o[k] = t;
      } else if (typeof v === 'object') rewriteReferences(v, targets);
    }
  }
}

/** gzip NDJSON files per type, a new file every FILE_LINES lines; waits when the disk is behind. */
class NdjsonSink {
  private readonly open = new Map<
    string,
    { gz: zlib.Gzip; lines: number; file: number; done: Promise<void> }
  >();
  private readonly finished: Promise<void>[] = [];
  readonly byType: Record<string, number> = {};
  total = 0;

  constructor(private readonly dir: string) {}

  async write(type: string, line: string): Promise<void> {
    let s = this.open.get(type);
    if (s && s.lines >= FILE_LINES) {
      s.gz.end();
      this.finished.push(s.done);
      this.open.delete(type);
      s = this.start(type, s.file + 1);
    }
    s ??= this.start(type, 0);
    s.lines++;
    this.byType[type] = (this.byType[type] ?? 0) + 1;
    this.total++;
    if (!s.gz.write(`${line}\n`)) await new Promise((r) => s.gz.once('drain', r));
  }

  private start(type: string, file: number) {
    const gz = zlib.createGzip({ level: 1 });
    const out = fs.createWriteStream(
      path.join(this.dir, `${type}.${String(file).padStart(3, '0')}.ndjson.gz`),
    );
    gz.pipe(out);
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    const s = { gz, lines: 0, file, done };
    this.open.set(type, s);
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.open.values()) {
      s.gz.end();
      this.finished.push(s.done);
    }
    await Promise.all(this.finished);
  }
}

export interface Manifest {
  generator: string;
  seed: number;
  requested: number;
  resources: number;
  clones: number;
  byType: Record<string, number>;
  largestClone: { patient: string; resources: number };
  seconds: number;
}

export async function generate(opts: { out: string; resources: number; seed: number }): Promise<Manifest> {
  const started = Date.now();
  fs.rmSync(opts.out, { recursive: true, force: true });
  fs.mkdirSync(opts.out, { recursive: true });
  const rand = seededRandom(opts.seed);
  const sink = new NdjsonSink(opts.out);
  const files = fs.readdirSync(corpusDir).sort();
  const read = (f: string) => zlib.gunzipSync(fs.readFileSync(path.join(corpusDir, f))).toString('utf8');

  // Shared resources (same ids in every corpus file) are written once, unchanged.
  const shared = new Map<string, string>(); // urn:uuid:id -> Type/id
  const patientFiles: string[] = [];
  for (const f of files) {
    const bundle = JSON.parse(read(f)) as { entry: { fullUrl?: string; resource: Json }[] };
    let hasPatient = false;
    for (const e of bundle.entry) {
      const type = e.resource.resourceType as string;
      if (type === 'Patient') hasPatient = true;
      if (!SHARED_TYPES.has(type) || shared.has(`urn:uuid:${e.resource.id}`)) continue;
      shared.set(`urn:uuid:${e.resource.id}`, `${type}/${e.resource.id}`);
      delete e.resource.meta;
      await sink.write(type, JSON.stringify(e.resource));
    }
    if (hasPatient) patientFiles.push(f);
  }
  const sharedIds = new Set([...shared.keys()].map((u) => u.slice('urn:uuid:'.length)));

  let clones = 0;
  let largest = { patient: '', resources: 0 };
  while (sink.total < opts.resources) {
    const text = read(patientFiles[clones % patientFiles.length]);
    const days = Math.floor(rand() * 4016) - 3650; // up to ten years back, one forward
    const fresh = new Map<string, string>();
    const cloned = text
      .replace(UUID_RE, (u) => {
        if (sharedIds.has(u)) return u;
        let n = fresh.get(u);
        if (!n) {
          n = uuidFrom(rand);
          fresh.set(u, n);
        }
        return n;
      })
      .replace(DATE_VALUE_RE, (_m, y, mo, d, time) => `"${shiftDate(y, mo, d, days)}${time ?? ''}"`);
    const bundle = JSON.parse(cloned) as { entry: { fullUrl?: string; resource: Json }[] };
    const targets = new Map(shared);
    for (const e of bundle.entry)
      if (e.fullUrl) targets.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
    let written = 0;
    let patientId = '';
    for (const e of bundle.entry) {
      const r = e.resource;
      const type = r.resourceType as string;
      if (SHARED_TYPES.has(type)) continue;
      rewriteReferences(r, targets);
      delete r.meta; // the corpus tag says "2019 Synthea"; the store sets versionId and lastUpdated
      if (type === 'Patient') {
        patientId = r.id as string;
        for (const name of (r.name ?? []) as { family?: string }[])
          if (name.family) name.family = familyFor(rand, name.family);
      }
      await sink.write(type, JSON.stringify(r));
      written++;
    }
    if (written > largest.resources) largest = { patient: patientId, resources: written };
    clones++;
  }
  await sink.close();
  const manifest: Manifest = {
    generator: GENERATOR_VERSION,
    seed: opts.seed,
    requested: opts.resources,
    resources: sink.total,
    clones,
    byType: sink.byType,
    largestClone: largest,
    seconds: (Date.now() - started) / 1000,
  };
  fs.writeFileSync(path.join(opts.out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The manifest of a finished generation with these settings in `out`, if there is one. */
export function existingManifest(out: string, resources: number, seed: number): Manifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8')) as Manifest;
    return m.generator === GENERATOR_VERSION && m.requested === resources && m.seed === seed ? m : undefined;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
  const m = await generate({
    out: opt('--out', '/tmp/chartroom-1m'),
    resources: Number(opt('--resources', '1000000')),
    seed: Number(opt('--seed', '1')),
  });
  process.stdout.write(
    `${fmt(m.resources)} resources (${m.clones} patient clones, largest ${m.largestClone.resources}) in ${m.seconds.toFixed(1)} s\n`,
  );
}
