-- Every request appends its audit entry (in batches of a few hundred, every 50 ms under load). With GIN's
-- fast update, the patients index collected them in a pending list that an INSERT had to merge into the
-- index once it passed 4 MB: one batch in several hundred then took 50-250 ms of a core (measured on the
-- read-by-id bench: mean 13 ms per batch, max 248 ms), which the requests of that moment waited behind on
-- a two-core machine. Without it each entry's one or two patient keys go into the index as it is written:
-- about 1.6 µs more per entry (60,000 entries: 776 ms against 677), no bursts. Entries already pending
-- are merged by the next VACUUM.
ALTER INDEX audit_event_patients SET (fastupdate = off);
