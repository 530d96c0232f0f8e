-- A one-time code signs in once: the time step of the last code accepted at sign-in, so a code seen
-- over a shoulder or replayed within its 30-second window (and the one either side) is refused
-- (OWASP ASVS 2.8.4).
ALTER TABLE app_user ADD COLUMN totp_last_step bigint;
