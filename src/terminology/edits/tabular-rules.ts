// Edits from the Tabular List's instructional notes: Excludes1 pairs, code-first sequencing, use-additional-code reminders.
import { type AppliedNote, notesFor, type Structure } from '../notes/code-detail.js';
import { anyRefCovers, codeRefsOf } from '../notes/code-refs.js';
import type { EditFinding } from './finding.js';

function source(n: AppliedNote, kind: string): string {
  return `ICD-10-CM Tabular List FY${n.tabularYear}: ${kind} note at ${n.source}`;
}

/**
 * Excludes1 means "not coded here": the two conditions cannot be reported together. Excludes1
 * notes that name no code (e.g. "hypertension NOS") cannot be checked by machine and are skipped.
 */
export function excludes1Findings(codes: string[], s: Structure): EditFinding[] {
  const out: EditFinding[] = [];
  const seen = new Set<string>();
  for (const a of codes) {
    for (const n of notesFor(a, s)) {
      if (n.kind !== 'excludes1') continue;
      const refs = codeRefsOf(n.text);
      for (const b of codes) {
        if (b === a || !anyRefCovers(refs, b)) continue;
        // a note of the shared category excluding the code's own family does not conflict with itself
        if (anyRefCovers(refs, a)) continue;
        const key = [a, b].sort().join('|');
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          severity: 'error',
          rule: 'icd10cm.excludes1',
          ruleSource: source(n, 'Excludes1'),
          message: `${a} and ${b} should not be reported together: ${n.source} says Excludes1 "${n.text}".`,
          codes: [a, b],
        });
      }
    }
  }
  return out;
}

/** Notes of one kind that apply to a code, one group per place they are printed (a list split over several lines is one instruction). */
function groupedNotes(code: string, kind: AppliedNote['kind'], s: Structure): AppliedNote[][] {
  const bySource = new Map<string, AppliedNote[]>();
  for (const n of notesFor(code, s))
    if (n.kind === kind) bySource.set(n.source, [...(bySource.get(n.source) ?? []), n]);
  return [...bySource.values()];
}

/**
 * "Code first" marks a manifestation or a consequence: the underlying condition is sequenced first.
 * A later-listed code the note names must move ahead; a first-listed code with such a note and no
 * underlying condition coded at all gets one reminder.
 */
export function codeFirstFindings(codes: string[], s: Structure): EditFinding[] {
  const out: EditFinding[] = [];
  codes.forEach((code, i) => {
    for (const group of groupedNotes(code, 'codeFirst', s)) {
      const refs = group.flatMap((n) => codeRefsOf(n.text));
      const later = codes.filter((c, j) => j > i && anyRefCovers(refs, c));
      for (const u of later) {
        const note = group.find((n) => anyRefCovers(codeRefsOf(n.text), u)) ?? group[0];
        out.push({
          severity: 'warning',
          rule: 'icd10cm.code-first',
          ruleSource: source(note, 'Code first'),
          message: `${code} says "code first ${note.text}": sequence ${u} before ${code}.`,
          codes: [code, u],
        });
      }
      if (i === 0 && later.length === 0 && refs.length > 0) {
        out.push({
          severity: 'warning',
          rule: 'icd10cm.code-first',
          ruleSource: source(group[0], 'Code first'),
          message: `${code} is listed first, but ${group[0].source} says "code first ${group[0].text}": code the underlying condition and sequence it first.`,
          codes: [code],
          suggestions: [...new Set(refs.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)))].slice(
            0,
            10,
          ),
        });
      }
    }
  });
  return out;
}

export function useAdditionalCodeFindings(codes: string[], s: Structure): EditFinding[] {
  const out: EditFinding[] = [];
  for (const code of codes) {
    for (const group of groupedNotes(code, 'useAdditionalCode', s)) {
      const refs = group.flatMap((n) => codeRefsOf(n.text));
      if (refs.length > 0 && codes.some((c) => c !== code && anyRefCovers(refs, c))) continue;
      const text = group.map((n) => n.text).join(' ');
      out.push({
        severity: 'information',
        rule: 'icd10cm.use-additional-code',
        ruleSource: source(group[0], 'Use additional code'),
        message: `${code}: use additional ${text.startsWith('code') ? '' : 'code '}${text}`,
        codes: [code],
        suggestions: [...new Set(refs.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)))].slice(
          0,
          8,
        ),
      });
    }
  }
  return out;
}
