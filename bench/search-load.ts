// A closed-loop HTTP load: `connections` clients, each sending its next request as soon as the last one
// has been answered, over keep-alive connections; every request's time is kept, so percentiles are exact.
import http from 'node:http';

export interface LoadRun {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Mean number of matches per response (`search.mode = match` entries of a searchset). */
  meanEntries: number;
  /** Responses with no match at all. */
  empty: number;
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

const MATCH = '"search":{"mode":"match"}';

function countMatches(text: string): number {
  let n = 0;
  for (let i = text.indexOf(MATCH); i >= 0; i = text.indexOf(MATCH, i + MATCH.length)) n++;
  return n;
}

export interface Target {
  base: string;
  token?: string;
}

export function get(
  target: Target,
  path: string,
  agent?: http.Agent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${target.base}${path}`,
      { agent, headers: target.token ? { authorization: `Bearer ${target.token}` } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Runs `requests` GETs over the paths (in turn, from `offset`) with `connections` clients. */
export async function runLoad(
  target: Target,
  paths: string[],
  opts: { connections: number; requests: number; offset?: number },
): Promise<LoadRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  try {
    const calls = paths.map((path) => async () => {
      const res = await get(target, path, agent);
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      return countMatches(res.text);
    });
    return await runCalls(calls, opts);
  } finally {
    agent.destroy();
  }
}

/** The closed loop around any call that answers with its number of matches. */
export async function runCalls(
  calls: (() => Promise<number>)[],
  opts: { connections: number; requests: number; offset?: number },
): Promise<LoadRun> {
  const times: number[] = [];
  let next = 0;
  let entries = 0;
  let empty = 0;
  const t0 = performance.now();
  const client = async () => {
    while (next < opts.requests) {
      const call = calls[(next++ + (opts.offset ?? 0)) % calls.length];
      const start = performance.now();
      const n = await call();
      times.push(performance.now() - start);
      entries += n;
      if (n === 0) empty++;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, client));
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    seconds,
    rps: times.length / seconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    meanEntries: entries / times.length,
    empty,
  };
}
