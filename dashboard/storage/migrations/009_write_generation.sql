-- 009: the write generation. One row, bumped inside every transaction that writes the clinic record
-- (storage/db.py), so a result cached by any app server (services/memo.py, ui/chart_cache.py) is known
-- stale after a write through any other: with PostgreSQL several servers share one database.
CREATE TABLE write_generation (
    id  INTEGER PRIMARY KEY,
    n   BIGINT NOT NULL
);
INSERT INTO write_generation (id, n) VALUES (1, 0);
