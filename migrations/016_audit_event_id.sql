-- Each audit entry keeps its AuditEvent id in a column of its own, unique, so that replaying a server's
-- audit journal after a crash (security/audit/replay-journal.ts) skips the entries already stored.
-- Entries written before this migration have none (NULL is not checked for uniqueness); adding the column
-- changes no stored row, so the hash chain (which covers the content, and the id within it) still holds.
ALTER TABLE audit_event ADD COLUMN event_id text;
CREATE UNIQUE INDEX audit_event_event_id ON audit_event (event_id);
