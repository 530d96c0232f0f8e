// The words of a resource for full-text search: its narrative (`_text`) and every human-readable string
// in it (`_content`): names, titles, descriptions, displays, notes, free text. Identifiers, codes,
// references, URLs, binary data and sealed values (SSNs) are left out; both are capped so a large
// document stays cheap.
import { isSealed } from '../ssn.js';

const MAX_CHARS = 8192;
const SKIP_KEYS = new Set([
  'id',
  'reference',
  'url',
  'system',
  'fullUrl',
  'profile',
  'versionId',
  'lastUpdated',
  'data',
  'hash',
  'div',
  'resourceType',
  'extension',
  'modifierExtension',
  'contentType',
  'language',
]);
const LOOKS_LIKE_DATA = /^(?:[a-z][a-z0-9+.-]*:\/\/|urn:|[0-9a-f-]{20,}$|\d{4}-\d{2}|[0-9.\s:-]+$)/i;

export function narrativeText(resource: object): string {
  const div = (resource as { text?: { div?: unknown } }).text?.div;
  if (typeof div !== 'string') return '';
  return decodeEntities(div.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_CHARS);
}

export function contentText(resource: object): string {
  const parts: string[] = [narrativeText(resource)];
  let size = parts[0].length;
  const walk = (v: unknown, key: string): void => {
    if (size >= MAX_CHARS) return;
    if (typeof v === 'string') {
      if (key === 'code' || v.length < 2 || LOOKS_LIKE_DATA.test(v) || isSealed(v)) return;
      parts.push(v);
      size += v.length + 1;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (!SKIP_KEYS.has(k)) walk(x, k);
    }
  };
  walk(resource, '');
  return parts.join(' ').slice(0, MAX_CHARS);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decodeEntities = (s: string) =>
  s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(
        e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)),
      );
    return ENTITIES[e.toLowerCase()] ?? m;
  });
