// Helpers shared by the FHIR routes: content type, version headers, Prefer handling, URL building.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export function returnPreference(req: FastifyRequest): ReturnPreference {
  const prefer = String(req.headers.prefer ?? '');
  const m = /return=(minimal|representation|OperationOutcome)/.exec(prefer);
  return (m?.[1] as ReturnPreference) ?? 'representation';
}

export function ifMatchVersion(req: FastifyRequest): number | undefined {
  const v = req.headers['if-match'];
  if (v === undefined) return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(String(v).trim());
  if (!m) throw badRequest(`Invalid If-Match header "${v}": expected W/"<versionId>"`, 'If-Match');
  return Number(m[1]);
}

export function setVersionHeaders(reply: FastifyReply, version: number, lastUpdated: string): void {
  reply.header('ETag', `W/"${version}"`);
  reply.header('Last-Modified', new Date(lastUpdated).toUTCString());
}

export function baseUrl(configured: string): string {
  return `${configured.replace(/\/$/, '')}/fhir/R4`;
}

/** The query string of a request as [name, value] pairs, in order. */
export function queryPairs(req: FastifyRequest): [string, string][] {
  const q = req.url.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(req.url.slice(q + 1)).entries()];
}

export function rawQuery(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? '' : req.url.slice(q + 1);
}
