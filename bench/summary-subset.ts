// `_summary=true` on 10,000 Synthea resources as a search page renders them (parse, subset, stringify),
// against the same resources passed through unchanged (parse and stringify only) in the same run, and,
// with `--baseline-module <built subset.js>` (e.g. the main branch's dist/src/fhir/subset.js), against
// another implementation of subsetResource.
// Usage: node dist/bench/summary-subset.js [--resources 10000] [--runs 5] [--baseline-module path]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDefinitions } from '../src/fhir/definitions.js';
import { parseJson, stringifyJson } from '../src/fhir/json.js';
import { subsetResource } from '../src/fhir/subset.js';
import { corpusDocuments, fmt, numberOption, saveResult, stats } from './support.js';

type Subset = typeof subsetResource;
const resources = numberOption('--resources', 10_000);
const runs = numberOption('--runs', 5);
const args = process.argv.slice(2);
const baselineAt = args.includes('--baseline-module')
  ? args[args.indexOf('--baseline-module') + 1]
  : undefined;
const baseline = baselineAt
  ? ((await import(pathToFileURL(path.resolve(baselineAt)).href)) as { subsetResource: Subset })
      .subsetResource
  : undefined;

const texts = corpusDocuments()
  .slice(0, resources)
  .map((d) => d.text);
const bytes = texts.reduce((n, t) => n + t.length, 0);

function timeRun(render: (text: string) => string): { ms: number; outBytes: number } {
  const start = process.hrtime.bigint();
  let outBytes = 0;
  for (const t of texts) outBytes += render(t).length;
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, outBytes };
}

const variants: [string, (text: string) => string][] = [
  ['unchanged (parse + stringify)', (t) => stringifyJson(parseJson(t))],
  [
    '_summary=true (this build)',
    (t) => stringifyJson(subsetResource(parseJson(t) as Record<string, unknown>, 'true')),
  ],
  ...(baseline
    ? [
        [
          '_summary=true (baseline module)',
          (t: string) => stringifyJson(baseline(parseJson(t) as Record<string, unknown>, 'true')),
        ] as [string, (text: string) => string],
      ]
    : []),
];

// The definitions load once per process (as at server start); then the first resource of each type
// builds that type's plan (measured here for all the corpus's types: a cold start's cost).
loadDefinitions();
let firstPlanMs = 0;
const seen = new Set<string>();
for (const t of texts) {
  const r = parseJson(t) as Record<string, unknown>;
  if (seen.has(String(r.resourceType))) continue;
  seen.add(String(r.resourceType));
  const start = process.hrtime.bigint();
  subsetResource(r, 'true');
  firstPlanMs += Number(process.hrtime.bigint() - start) / 1e6;
}
for (const [, render] of variants) timeRun(render);

// The subset alone, on resources parsed beforehand.
const parsed = texts.map((t) => parseJson(t) as Record<string, unknown>);
const subsetOnly = (f: Subset) => {
  const start = process.hrtime.bigint();
  for (const r of parsed) f(r, 'true');
  return Number(process.hrtime.bigint() - start) / 1e6;
};

const results: Record<string, unknown> = {};
console.log(
  `${fmt(texts.length)} resources, ${fmt(bytes / 1024)} KiB of JSON; ${runs} runs each (median ms)`,
);
for (const [name, render] of variants) {
  const times: number[] = [];
  let outBytes = 0;
  for (let i = 0; i < runs; i++) {
    const r = timeRun(render);
    times.push(r.ms);
    outBytes = r.outBytes;
  }
  const s = stats(times);
  results[name] = { ...s, outKiB: Math.round(outBytes / 1024) };
  console.log(
    `${name.padEnd(34)} ${s.median.toFixed(1).padStart(8)} ms  (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})  ${fmt(outBytes / 1024)} KiB out`,
  );
}
const only = (f: Subset) => stats(Array.from({ length: runs }, () => subsetOnly(f)));
const subsetAlone = { thisBuild: only(subsetResource), ...(baseline ? { baseline: only(baseline) } : {}) };
console.log(
  `subsetResource alone: ${subsetAlone.thisBuild.median.toFixed(1)} ms${baseline ? `, baseline ${subsetAlone.baseline?.median.toFixed(1)} ms` : ''}`,
);
console.log(
  `plans for the corpus's ${seen.size} types, built on their first resource: ${firstPlanMs.toFixed(1)} ms`,
);
console.log(
  `saved ${saveResult('summary-subset', { resources: texts.length, firstPlanMs, results, subsetAlone })}`,
);
