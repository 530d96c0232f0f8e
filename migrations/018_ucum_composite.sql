-- Unit-aware composite search (code-value-quantity, component-code-value-quantity): a composite row's
-- UCUM quantity part also in canonical units (src/fhir/ucum/canonical.ts). Nullable columns without a
-- default change the catalog only, so this is instant on a large sp_composite; rows written before it
-- have none and keep matching by value alone. Canonical quantity rows need no change of schema: they
-- are sp_quantity rows under the negated parameter id.
ALTER TABLE sp_composite ADD COLUMN ucum_code text, ADD COLUMN ucum_lo numeric, ADD COLUMN ucum_hi numeric;
