-- 006: sign-in sessions kept on the server, known devices, sign-in throttling, the one-time setup code,
-- unsaved form input, and the e-mail address that single sign-on matches an account by.
-- A browser holds only a random token; the database holds its SHA-256 (tokens are 256-bit random, so a
-- fast hash is enough: nothing to guess). Users' e-mail is unique in the service layer (case-insensitive).

ALTER TABLE users ADD COLUMN email VARCHAR;

CREATE SEQUENCE session_id_seq START 1;
CREATE TABLE sessions (
    session_id     INTEGER PRIMARY KEY DEFAULT nextval('session_id_seq'),
    token_hash     VARCHAR NOT NULL UNIQUE,   -- sha256 hex of the cookie's token; the token is never stored
    user_id        INTEGER NOT NULL,
    method         VARCHAR NOT NULL,          -- password | sso | setup
    device_hash    VARCHAR,                   -- sha256 hex of the browser's device cookie, when it had one
    sso_login      VARCHAR,                   -- the identity provider's sign-in (issuer, subject, time) it came from
    created_at     TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,        -- absolute end (created + lifetime); idle end is last_seen + idle
    revoked_at     TIMESTAMP,
    revoked_reason VARCHAR                    -- signed_out | idle | lifetime | account_disabled | password_reset ...
);

-- Browsers (device cookies) that have signed in to an account: the sign-in delay does not slow them.
CREATE TABLE known_devices (
    user_id        INTEGER NOT NULL,
    device_hash    VARCHAR NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);

-- Failed sign-ins per address and per typed username (known or not, so the answer does not tell which).
CREATE TABLE sign_in_throttle (
    throttle_key   VARCHAR PRIMARY KEY,       -- 'address:<ip>' or 'account:<username, at most 64 characters>'
    failures       INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    blocked_until  TIMESTAMP
);

-- The one-time code that lets the first administrator be created from the network (printed by serve).
CREATE TABLE setup_codes (
    code_hash      VARCHAR NOT NULL,
    issued_at      TIMESTAMP NOT NULL
);

-- What a person has typed into a form and not yet saved, per user, form and record.
CREATE TABLE unsaved_input (
    user_id        INTEGER NOT NULL,
    form           VARCHAR NOT NULL,          -- assessment | imaging | episode
    record_key     VARCHAR NOT NULL,          -- e.g. episode:12, draft:40, patient:7
    values_json    VARCHAR NOT NULL,
    saved_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, form, record_key)
);
