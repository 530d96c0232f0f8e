-- The audit trail is append-only in the database itself: updates and deletes are refused. (Someone
-- with the rights to disable the trigger can still tamper; the hash chain makes that visible.)

CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER audit_event_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE INDEX audit_event_username ON audit_event (username, recorded);
CREATE INDEX audit_event_patients ON audit_event USING gin (patients);
