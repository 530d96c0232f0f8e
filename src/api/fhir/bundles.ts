// Builds history Bundles as JSON text, splicing the stored resource JSON in unparsed.
import type { StoredVersion } from '../../store/repository.js';

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
