-- A new sign-in's token waiting for the browser's next plain request, where the middleware sets it as the
-- session cookie (a sign-in happens over the page's websocket, which cannot set a cookie). Kept in the database
-- so that whichever app server the next request reaches can hand it over. The token is sealed with a key only
-- the browser's device cookie gives; the row is found by that cookie's hash.
CREATE TABLE pending_session_cookies (
    device_hash VARCHAR PRIMARY KEY,
    session_id INTEGER NOT NULL,
    token_sealed VARCHAR NOT NULL,
    until TIMESTAMP NOT NULL
);
