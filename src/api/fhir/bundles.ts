// Builds searchset and history Bundles as JSON text, splicing the stored resource JSON in unparsed.
import type { StoredVersion } from '../../store/repository.js';

export interface SearchsetParts {
  self: string;
  next?: string;
  previous?: string;
  entries: { content: string; mode: 'match' | 'include' }[];
  /** An OperationOutcome entry (search.mode = outcome), e.g. the parameters ignored. */
  outcome?: object;
  total?: number;
  /** Rewrites a resource's JSON (for _summary and _elements); by default it is spliced in as stored. */
  transform?: (content: string) => string;
}

/** `Type/id` of a stored resource's JSON text. */
export const entityOf = (content: string) =>
  `${/"resourceType":"([A-Za-z]+)"/.exec(content)?.[1]}/${/"id":"([A-Za-z0-9\-.]+)"/.exec(content)?.[1]}`;

export function searchsetBundle(base: string, p: SearchsetParts): string {
  const links = [`{"relation":"self","url":${JSON.stringify(p.self)}}`];
  if (p.next) links.push(`{"relation":"next","url":${JSON.stringify(p.next)}}`);
  if (p.previous) links.push(`{"relation":"previous","url":${JSON.stringify(p.previous)}}`);
  const items = p.entries.map(
    (e) =>
      `{"fullUrl":${JSON.stringify(`${base}/${entityOf(e.content)}`)},"resource":${p.transform ? p.transform(e.content) : e.content},"search":{"mode":"${e.mode}"}}`,
  );
  if (p.outcome) items.push(`{"resource":${JSON.stringify(p.outcome)},"search":{"mode":"outcome"}}`);
  const total = p.total === undefined ? '' : `"total":${p.total},`;
  return `{"resourceType":"Bundle","type":"searchset",${total}"link":[${links.join(',')}],"entry":[${items.join(',')}]}`;
}

export function historyBundle(
  base: string,
  selfUrl: string,
  versions: StoredVersion[],
  nextUrl?: string,
): string {
  const links = [`{"relation":"self","url":${JSON.stringify(selfUrl)}}`];
  if (nextUrl) links.push(`{"relation":"next","url":${JSON.stringify(nextUrl)}}`);
  const items = versions.map((v) => {
    const url = `${v.type}/${v.id}`;
    const request = v.deleted
      ? `{"method":"DELETE","url":${JSON.stringify(url)}}`
      : `{"method":${JSON.stringify(v.method === 'POST' ? 'POST' : 'PUT')},"url":${JSON.stringify(v.method === 'POST' ? v.type : url)}}`;
    const response = `{"status":"${v.deleted ? '204' : v.version === 1 ? '201' : '200'}","etag":"W/\\"${v.version}\\"","lastModified":${JSON.stringify(new Date(v.lastUpdated).toISOString())}}`;
    return `{"fullUrl":${JSON.stringify(`${base}/${url}`)}${v.content ? `,"resource":${v.content}` : ''},"request":${request},"response":${response}}`;
  });
  return `{"resourceType":"Bundle","type":"history","link":[${links.join(',')}],"entry":[${items.join(',')}]}`;
}
