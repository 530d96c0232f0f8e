// Where the shared Synthea corpus is (../shared beside the repository, as in CI), and small readers.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedDir = process.env.CHARTROOM_SHARED ?? path.resolve(repoRoot, '../shared');
export const corpusDir = path.join(sharedDir, 'corpus');
export const cliPath = path.join(repoRoot, 'dist/src/cli/main.js');

export interface BundleLike {
  type: string;
  entry: {
    fullUrl?: string;
    resource: { resourceType: string; id: string; identifier?: { system?: string; value?: string }[] };
    request?: { method: string };
  }[];
}

export function readBundle(file: string): BundleLike {
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as BundleLike;
}

export function corpusFiles(folder: string): string[] {
  const dir = path.join(corpusDir, folder);
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f));
}
