-- 002: treatments, exercise prescriptions, administrator rule thresholds, and the clinician's
-- decisions on the app's suggestions.

CREATE SEQUENCE treatment_id_seq START 1;
CREATE TABLE treatments (
    treatment_id     INTEGER PRIMARY KEY DEFAULT nextval('treatment_id_seq'),
    episode_id       INTEGER NOT NULL,
    kind             VARCHAR NOT NULL,           -- shockwave | injection | dry_needling | soft_tissue
    given_on         DATE NOT NULL,
    clinician_id     INTEGER NOT NULL,
    shockwave_type   VARCHAR,                    -- radial | focused
    impulses         INTEGER,
    energy_flux      DOUBLE,                     -- mJ/mm2
    session_number   SMALLINT,
    sessions_planned SMALLINT,
    injection_type   VARCHAR,                    -- prp | prolotherapy | corticosteroid
    side             VARCHAR,
    image_guidance   VARCHAR,                    -- ultrasound | none
    notes            VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL
);
CREATE INDEX treatments_episode_idx ON treatments (episode_id);

-- A prescription is a dated set of exercises for an episode's stage; a new one supersedes the last.
CREATE SEQUENCE prescription_id_seq START 1;
CREATE TABLE prescriptions (
    prescription_id  INTEGER PRIMARY KEY DEFAULT nextval('prescription_id_seq'),
    episode_id       INTEGER NOT NULL,
    stage            SMALLINT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL
);
CREATE INDEX prescriptions_episode_idx ON prescriptions (episode_id);
CREATE TABLE prescription_items (
    prescription_id  INTEGER NOT NULL,
    position         SMALLINT NOT NULL,
    exercise         VARCHAR NOT NULL,
    sets             SMALLINT NOT NULL,
    reps             SMALLINT,
    hold_seconds     SMALLINT,
    load_cue         VARCHAR,
    days_per_week    SMALLINT NOT NULL,
    PRIMARY KEY (prescription_id, position)
);

CREATE TABLE rule_thresholds (
    threshold_key    VARCHAR PRIMARY KEY,
    threshold_value  DOUBLE NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    updated_by       VARCHAR NOT NULL
);

CREATE SEQUENCE decision_id_seq START 1;
CREATE TABLE suggestion_decisions (
    decision_id      INTEGER PRIMARY KEY DEFAULT nextval('decision_id_seq'),
    episode_id       INTEGER NOT NULL,
    rule_id          VARCHAR NOT NULL,
    decision         VARCHAR NOT NULL,           -- accepted | dismissed
    reason           VARCHAR NOT NULL,
    clinician_id     INTEGER NOT NULL,
    decided_at       TIMESTAMP NOT NULL
);
CREATE INDEX decisions_episode_idx ON suggestion_decisions (episode_id);
