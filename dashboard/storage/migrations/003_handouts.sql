-- 003: the record of every handout given: who, when, which episode, content version, options, and the
-- SHA-256 of the exact bytes (the archived copy under reports/ can be checked against it).
CREATE SEQUENCE handout_id_seq START 1;
CREATE TABLE handouts_issued (
    handout_id       INTEGER PRIMARY KEY DEFAULT nextval('handout_id_seq'),
    episode_id       INTEGER NOT NULL,
    issued_at        TIMESTAMP NOT NULL,
    issued_on        DATE NOT NULL,
    issued_by        VARCHAR NOT NULL,
    content_version  VARCHAR NOT NULL,
    page_size        VARCHAR NOT NULL,
    large_print      BOOLEAN NOT NULL,
    sha256           VARCHAR NOT NULL,
    archive_path     VARCHAR NOT NULL
);
CREATE INDEX handouts_episode_idx ON handouts_issued (episode_id);
