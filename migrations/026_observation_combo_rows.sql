-- Observation's combo-* parameters have no index rows of their own since this version: each is the union
-- of two others (`combo-code` is `code | component-code`), and searches and sorts read those two's rows
-- (src/fhir/index/search-params.ts, unionRows). Their old rows are never read again; dropped here.
-- (On the 36,892-resource Synthea corpus: 73,554 rows, a seventh of its index rows.)
DELETE FROM sp_token WHERE param IN (
  SELECT id FROM search_param
   WHERE base = 'Observation' AND code IN ('combo-code', 'combo-data-absent-reason', 'combo-value-concept'));
-- a quantity's canonical UCUM row is stored under the negated parameter id
DELETE FROM sp_quantity WHERE param IN (
  SELECT id FROM search_param WHERE base = 'Observation' AND code = 'combo-value-quantity'
  UNION ALL
  SELECT -id FROM search_param WHERE base = 'Observation' AND code = 'combo-value-quantity');
DELETE FROM sp_composite WHERE param IN (
  SELECT id FROM search_param
   WHERE base = 'Observation' AND code IN ('combo-code-value-concept', 'combo-code-value-quantity'));
