#!/usr/bin/env node
// The chartroom command: import, demo, and help. Each subcommand calls the same domain code as the API.
import { auditCommand } from './audit.js';
import { indexPatientKeysCommand, indexUcumCommand, reindexCommand } from './backfill.js';
import { demoCommand } from './demo.js';
import { type ImportArgs, importCommand } from './import.js';
import { importHeapMibOf, importInThread } from './import-thread.js';
import { securityCommand } from './security.js';
import { terminologyCommand } from './terminology.js';

const HELP = `chartroom <command>

  import <files or folders>...   load FHIR Bundles / NDJSON (.json, .ndjson, optionally .gz)
        --threads N              worker threads on PostgreSQL (default: half the cores; embedded: 1)
        --workers N              files in flight per thread (default 3)
        --force                  load files again even if the journal says they are done
        --verbose                print a line per finished file
        --report FILE            where to write the JSON report (default DATA_DIR/import-report.json)
        --stream-from MIB        stream Bundle files with more JSON text than this (default 32)
  audit verify                   check the hash chain of the audit trail (exit 3 when broken)
  security seal-ssns             encrypt the Social Security numbers stored before they were sealed at
                                 rest (a database written by an older version), with progress; rerunnable
  index-ucum                     index the UCUM quantities stored before units were converted in search
                                 (canonical rows from their index rows), with progress; rerunnable
  index-patient-keys             give the token index rows stored before version 019 their patient, so
                                 patient searches by code use the patient index; progress; rerunnable
  reindex [Type...]              rebuild the search index rows (and compartments) of the stored resources,
                                 or of these types, from their current version, e.g. after an upgrade
                                 changed what a search parameter indexes; progress; rerunnable
  demo                           start on the embedded database with sample patients loaded
  terminology load|versions      load the code sets with progress; list versions (--data DIR, --json)
  terminology install <file>     install an official release (next year's order file, tabular or index XML,
                                 HCPCS ANWEB, NCCI PTP, a licensed CPT file); kept in the data folder and
                                 loaded at every start (--kind K, --year YYYY, --version V, --effective A..B)
  terminology installed          list the installed releases
  help                           this text

Configuration comes from environment variables (docs/configuration.md): DATABASE_URL, CHARTROOM_DATA_DIR, ...`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function bool(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'import': {
      const workers = flag(rest, '--workers');
      const threads = flag(rest, '--threads');
      const reportFile = flag(rest, '--report');
      const force = bool(rest, '--force');
      const quiet = bool(rest, '--quiet');
      const verbose = bool(rest, '--verbose');
      const streamFrom = flag(rest, '--stream-from');
      if (streamFrom !== undefined && !(Number(streamFrom) >= 0))
        throw new Error(`--stream-from takes a size in MiB (0 or more), not "${streamFrom}"`);
      const heapMib = importHeapMibOf(process.env.CHARTROOM_IMPORT_HEAP_MIB);
      const importArgs: ImportArgs = {
        inputs: rest,
        workers: workers ? Number(workers) : undefined,
        threads: threads ? Number(threads) : undefined,
        force,
        quiet,
        verbose,
        reportFile,
        streamBundlesFrom:
          streamFrom === undefined ? undefined : Math.round(Number(streamFrom) * 1024 * 1024),
        threadHeapMib: heapMib,
      };
      // the import runs in a thread with a bounded heap (import-thread.ts), unless that is off
      const report =
        heapMib === undefined ? await importCommand(importArgs) : await importInThread(importArgs, heapMib);
      return report.files.some((f) => f.status === 'failed' || f.status === 'partial') ? 2 : 0;
    }
    case 'terminology': {
      const dataDir = flag(rest, '--data');
      const json = bool(rest, '--json');
      const kind = flag(rest, '--kind');
      const year = flag(rest, '--year');
      const version = flag(rest, '--version');
      const effective = flag(rest, '--effective');
      return terminologyCommand(rest, { dataDir, json, kind, year, version, effective });
    }
    case 'audit':
      return auditCommand(rest);
    case 'security':
      return securityCommand(rest, { quiet: bool(rest, '--quiet') });
    case 'index-patient-keys':
      return indexPatientKeysCommand({ quiet: bool(rest, '--quiet') });
    case 'index-ucum':
      return indexUcumCommand({ quiet: bool(rest, '--quiet') });
    case 'reindex': {
      const quiet = bool(rest, '--quiet');
      return reindexCommand(rest, { quiet });
    }
    case 'demo':
      await demoCommand();
      return -1; // keeps running
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    default:
      process.stderr.write(`Unknown command "${cmd}".\n\n${HELP}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`chartroom: ${err.message}\n`);
    process.exit(1);
  },
);
