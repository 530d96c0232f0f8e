-- Secondary indexes that a bulk import into an empty embedded database dropped, to build them once at
-- its end (src/store/import/deferred-indexes.ts). A row here means the index is missing (or, for
-- `temporary`, that the index is the importer's own and goes away): the next start builds the missing
-- ones in one transaction, so an import killed half-way leaves no database without its indexes.
CREATE TABLE deferred_index (
  name text PRIMARY KEY,
  definition text NOT NULL,
  temporary boolean NOT NULL DEFAULT false
);
