// Social Security numbers at rest: sealed (AES-256-GCM, SecretBox) inside the stored JSON on every write,
// indexed by a keyed HMAC of their digits instead of the number, and opened (or masked) on the way out.

import type { IndexBatch } from '../fhir/index/extract.js';
import { parseJson, stringifyJson } from '../fhir/json.js';
import { forEachSsn, isSealed, maskSsn, SEALED_PREFIX, SSN_SYSTEM, ssnDigits } from '../fhir/ssn.js';
import type { SecretBox } from '../platform/crypto/secret-box.js';
import { badRequest, FhirError, issue } from '../platform/errors.js';

/** How SSNs leave the store: whole (roles with phi:ssn) or as their last four digits. */
export type SsnView = 'clear' | 'masked';

export interface SealedDocument {
  /** The JSON text to store. */
  content: string;
  /** Set when the resource held an SSN: its copy with sealed values, which the index rows come from. */
  sealed?: object;
  /** The blind index of each sealed value (the token code stored instead of the number). */
  blind?: Map<string, string>;
}

const AAD = 'ssn';

/**
 * Index rows come from the sealed copy; the token rows from index `from` on that carry a sealed value get
 * its blind index instead (the number itself is never indexed).
 */
export function useBlindIndex(batch: IndexBatch, from: number, blind: Map<string, string>): void {
  const codes = batch.token.code;
  for (let k = from; k < codes.length; k++) {
    const code = codes[k];
    if (code !== null && blind.has(code)) codes[k] = blind.get(code) as string;
  }
}

export class SsnSealer {
  constructor(private readonly box: SecretBox) {}

  get keyId(): string {
    return this.box.keyId;
  }

  /**
   * The keyed HMAC of the number's digits, stored in sp_token and compared by searches. A sealed value (a
   * search kept by the server, e.g. a bulk export's _typeFilter) is opened first.
   */
  blindIndex(value: string): string {
    let plain = value;
    if (isSealed(value)) {
      try {
        plain = this.open(value);
      } catch {
        throw badRequest('A Social Security number searched for is sealed with an unknown key', 'identifier');
      }
    }
    return this.box.mac('ssn-index', ssnDigits(plain));
  }

  seal(plain: string): string {
    return `${SEALED_PREFIX}${this.box.keyId}:${this.box.seal(plain, AAD)}`;
  }

  open(sealed: string): string {
    const rest = sealed.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    const kid = rest.slice(0, colon);
    if (colon < 0 || kid !== this.box.keyId)
      throw new FhirError(
        500,
        issue(
          'security',
          `A stored Social Security number is sealed with key ${kid || '(none)'}, not with the configured key ${this.box.keyId}; set CHARTROOM_SECRET_KEY to the key it was written with`,
        ),
      );
    return this.box.open(rest.slice(colon + 1), AAD);
  }

  /**
   * The JSON text of a resource about to be stored, its SSNs sealed. Serialising first and looking for the
   * SSN system in the text keeps the common case (no SSN) at one serialisation (fhir/json.ts: decimals as written).
   */
  sealDocument(resource: object): SealedDocument {
    const text = stringifyJson(resource);
    if (!text.includes(SSN_SYSTEM)) return { content: text };
    const copy = parseJson(text) as object;
    forEachSsn(copy, (id) => {
      if (isSealed(id.value))
        throw badRequest(
          'A Social Security number must be sent as the number, not in its stored (sealed) form',
          'identifier.value',
        );
    });
    const blind = this.sealPlainInPlace(copy);
    if (blind.size === 0) return { content: text };
    return { content: stringifyJson(copy), sealed: copy, blind };
  }

  /** Seals the SSNs of a parsed resource that are not sealed yet; their blind indexes (empty: none was). */
  sealPlainInPlace(node: unknown): Map<string, string> {
    const blind = new Map<string, string>();
    forEachSsn(node, (id) => {
      if (isSealed(id.value)) return;
      const sealed = this.seal(id.value);
      blind.set(sealed, this.blindIndex(id.value));
      id.value = sealed;
    });
    return blind;
  }

  /** Opens the sealed SSNs of a parsed resource in place (PATCH and update comparisons start from these). */
  openInPlace(node: unknown, view: SsnView = 'clear'): void {
    forEachSsn(node, (id) => {
      const plain = isSealed(id.value) ? this.open(id.value) : id.value;
      id.value = view === 'clear' ? plain : maskSsn(plain);
    });
  }

  /**
   * Stored JSON text (a resource, a Bundle, any response) as a reader may see it. Text without a sealed
   * value (and, for masked readers, without the SSN system) is returned as it is, without parsing.
   */
  reveal(text: string, view: SsnView): string {
    if (!text.includes(SEALED_PREFIX) && (view === 'clear' || !text.includes(SSN_SYSTEM))) return text;
    const spliced = this.revealInText(text, view);
    if (spliced !== undefined) return spliced;
    let doc: unknown;
    try {
      doc = parseJson(text);
    } catch {
      // NDJSON (one document a line); anything else that is not JSON carries no resource
      return text.includes('\n')
        ? text
            .split('\n')
            .map((line) => (line ? this.reveal(line, view) : line))
            .join('\n')
        : text;
    }
    this.openInPlace(doc, view);
    return stringifyJson(doc);
  }

  /**
   * The common case without a parse: every SSN in the text is a sealed value written right after its
   * system, as the store writes them (`"system":"<SSN system>","value":"chartroom-sealed:..."`). Such a
   * match can only be an Identifier's system and value (inside a JSON string every quote is escaped), and
   * the stored text has no duplicate keys, so it is exactly what the parse path would open. When any other
   * occurrence of the system or of the sealed prefix is left (another key order, an unsealed number, a
   * look-alike elsewhere), undefined: the caller parses.
   */
  private revealInText(text: string, view: SsnView): string | undefined {
    let out = '';
    let from = 0;
    let matched = 0;
    SEALED_SSN.lastIndex = 0;
    for (let m = SEALED_SSN.exec(text); m; m = SEALED_SSN.exec(text)) {
      const plain = this.open(m[2]);
      out += text.slice(from, m.index) + m[1] + JSON.stringify(view === 'clear' ? plain : maskSsn(plain));
      from = m.index + m[0].length;
      matched++;
    }
    if (
      matched === 0 ||
      matched !== occurrences(text, SEALED_PREFIX) ||
      matched !== occurrences(text, SSN_SYSTEM)
    )
      return undefined;
    return out + text.slice(from);
  }
}

/** A sealed SSN as the store writes it: the system, then the value (a JSON string without escapes). */
const escapeRegExp = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const SEALED_SSN = new RegExp(
  `("system":"${escapeRegExp(SSN_SYSTEM)}","value":)"(${escapeRegExp(SEALED_PREFIX)}[^"\\\\]*)"`,
  'g',
);

function occurrences(text: string, part: string): number {
  let n = 0;
  for (let i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length)) n++;
  return n;
}
