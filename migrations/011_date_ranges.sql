-- Date searches bounded on both sides (`date=ge2019-01-01&date=lt2019-02-01`) on a single-valued
-- element become one range-overlap condition on one index row, served by this GiST index. Two
-- separate bounds are each true for about half of all rows, so no btree narrows them (an Encounter
-- month took 86-240 ms at 1,000,000 resources; bench/search.js, docs/performance.md).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX sp_date_range ON sp_date USING gist (param, tstzrange(lo, greatest(lo, hi), '[]'));
