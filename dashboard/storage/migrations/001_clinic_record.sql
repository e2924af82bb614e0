-- 001: the clinic record: users, patients, episodes of care, assessments, imaging, tier/stage history,
-- clinic settings and the audit trail. Plain SQL close to the standard (no DuckDB-only types) so the
-- same schema can move to PostgreSQL. Referential integrity is enforced in the service layer: DuckDB
-- foreign keys turn every UPDATE of a parent row into a delete+insert that the key would refuse.

CREATE SEQUENCE user_id_seq START 1;
CREATE TABLE users (
    user_id         INTEGER PRIMARY KEY DEFAULT nextval('user_id_seq'),
    username        VARCHAR NOT NULL UNIQUE,
    display_name    VARCHAR NOT NULL,
    role            VARCHAR NOT NULL,            -- administrator | clinician | read_only
    password_hash   VARCHAR NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);

CREATE SEQUENCE patient_id_seq START 1;
CREATE TABLE patients (
    patient_id      INTEGER PRIMARY KEY DEFAULT nextval('patient_id_seq'),
    clinic_id       VARCHAR NOT NULL UNIQUE,     -- the clinic's own identifier (CSV column patient_id)
    given_name      VARCHAR NOT NULL,
    family_name     VARCHAR NOT NULL,
    date_of_birth   DATE NOT NULL,
    sex             VARCHAR,
    phone           VARCHAR,
    email           VARCHAR,
    anonymised_at   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    updated_by      VARCHAR NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);

CREATE SEQUENCE episode_id_seq START 1;
CREATE TABLE episodes (
    episode_id        INTEGER PRIMARY KEY DEFAULT nextval('episode_id_seq'),
    patient_id        INTEGER NOT NULL,
    side              VARCHAR NOT NULL,          -- left | right | bilateral
    region            VARCHAR NOT NULL,          -- proximal | distal_medial | distal_lateral
    onset_type        VARCHAR NOT NULL,          -- gradual | sudden
    onset_date        DATE NOT NULL,
    load_change       BOOLEAN,                   -- training-load change before onset
    sport             VARCHAR,
    severity          VARCHAR NOT NULL,          -- mild | moderate | chronic
    post_operative    BOOLEAN NOT NULL DEFAULT FALSE,  -- avulsion / post-operative case (PHAT applies)
    clinician_id      INTEGER NOT NULL,
    referral_source   VARCHAR,
    status            VARCHAR NOT NULL,          -- open | discharged | referred_on
    opened_on         DATE NOT NULL,
    closed_on         DATE,
    discharge_outcome VARCHAR,
    referred_to       VARCHAR,
    closing_note      VARCHAR,
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    updated_by        VARCHAR NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX episodes_patient_idx ON episodes (patient_id);

CREATE SEQUENCE assessment_id_seq START 1;
CREATE TABLE assessments (
    assessment_id     INTEGER PRIMARY KEY DEFAULT nextval('assessment_id_seq'),
    episode_id        INTEGER NOT NULL,
    assessed_on       DATE NOT NULL,
    clinician_id      INTEGER NOT NULL,
    -- subjective
    pain_avg          SMALLINT NOT NULL,
    pain_worst        SMALLINT NOT NULL,
    pain_task         SMALLINT,
    pain_task_name    VARCHAR,
    sitting_minutes   SMALLINT,
    morning_stiffness BOOLEAN,
    next_morning      VARCHAR,                   -- settled | not_settled | not_loaded
    aggravating       VARCHAR,                   -- comma-separated activity codes
    previous_injury   BOOLEAN,
    low_back_pain     BOOLEAN,
    nirschl_phase     SMALLINT,
    -- patient-reported outcome measures (scores only)
    visa_h_1 SMALLINT, visa_h_2 SMALLINT, visa_h_3 SMALLINT, visa_h_4 SMALLINT,
    visa_h_5 SMALLINT, visa_h_6 SMALLINT, visa_h_7 SMALLINT, visa_h_8 SMALLINT,
    visa_h_total      SMALLINT,
    phat_total        SMALLINT,
    groc              SMALLINT,
    -- objective
    palpation_left    VARCHAR,
    palpation_right   VARCHAR,
    test_puranen_orava VARCHAR,       test_puranen_orava_pain SMALLINT,
    test_bent_knee VARCHAR,           test_bent_knee_pain SMALLINT,
    test_modified_bent_knee VARCHAR,  test_modified_bent_knee_pain SMALLINT,
    test_arabesque VARCHAR,           test_arabesque_pain SMALLINT,
    test_bridge VARCHAR,              test_bridge_pain SMALLINT,
    bridge_reps_left  SMALLINT,
    bridge_reps_right SMALLINT,
    bridge_pain_left  SMALLINT,
    bridge_pain_right SMALLINT,
    strength_method   VARCHAR,
    strength_unit     VARCHAR,
    strength_range    VARCHAR,
    strength_left     DOUBLE,
    strength_right    DOUBLE,
    -- red flags
    rf_avulsion_signs BOOLEAN NOT NULL DEFAULT FALSE,
    rf_neurological   BOOLEAN NOT NULL DEFAULT FALSE,
    rf_rest_night_pain BOOLEAN NOT NULL DEFAULT FALSE,
    rf_systemic       BOOLEAN NOT NULL DEFAULT FALSE,
    rf_fracture       BOOLEAN NOT NULL DEFAULT FALSE,
    rf_ischiofemoral  BOOLEAN NOT NULL DEFAULT FALSE,
    red_flag_action   VARCHAR,
    -- clinical reasoning
    impression        VARCHAR,
    plan              VARCHAR,
    next_review_on    DATE,
    -- record keeping
    signed_at         TIMESTAMP,
    signed_by         VARCHAR,
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    updated_by        VARCHAR NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX assessments_episode_idx ON assessments (episode_id);

CREATE SEQUENCE addendum_id_seq START 1;
CREATE TABLE assessment_addenda (
    addendum_id    INTEGER PRIMARY KEY DEFAULT nextval('addendum_id_seq'),
    assessment_id  INTEGER NOT NULL,
    reason         VARCHAR NOT NULL,
    body           VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR NOT NULL
);

CREATE SEQUENCE imaging_id_seq START 1;
CREATE TABLE imaging_reports (
    imaging_id        INTEGER PRIMARY KEY DEFAULT nextval('imaging_id_seq'),
    episode_id        INTEGER NOT NULL,
    modality          VARCHAR NOT NULL,          -- ultrasound | mri | mri_hip_flexion | xray
    imaged_on         DATE NOT NULL,
    mri_type          SMALLINT,                  -- 0..4 (Clin Radiol 2018)
    thickening        BOOLEAN NOT NULL DEFAULT FALSE,
    hypoechogenicity  BOOLEAN NOT NULL DEFAULT FALSE,
    neovascularity    BOOLEAN NOT NULL DEFAULT FALSE,
    partial_tear      BOOLEAN NOT NULL DEFAULT FALSE,
    peritendinous_oedema BOOLEAN NOT NULL DEFAULT FALSE,
    bone_marrow_oedema BOOLEAN NOT NULL DEFAULT FALSE,
    avulsion          BOOLEAN NOT NULL DEFAULT FALSE,
    tendons_avulsed   SMALLINT,
    retraction_cm     DOUBLE,
    tendons_involved  VARCHAR,                   -- semimembranosus | conjoint | both
    thickness_mm      DOUBLE,
    report_text       VARCHAR,
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR NOT NULL
);
CREATE INDEX imaging_episode_idx ON imaging_reports (episode_id);

-- Tier and rehab-stage history: append-only; a period runs from effective_on to the next row's date.
CREATE SEQUENCE tier_change_id_seq START 1;
CREATE TABLE tier_changes (
    tier_change_id INTEGER PRIMARY KEY DEFAULT nextval('tier_change_id_seq'),
    episode_id     INTEGER NOT NULL,
    tier           VARCHAR NOT NULL,             -- conservative | adjunct | regenerative
    effective_on   DATE NOT NULL,
    reason         VARCHAR NOT NULL,
    clinician_id   INTEGER NOT NULL,
    recorded_at    TIMESTAMP NOT NULL
);
CREATE INDEX tier_changes_episode_idx ON tier_changes (episode_id);

CREATE SEQUENCE stage_change_id_seq START 1;
CREATE TABLE stage_changes (
    stage_change_id INTEGER PRIMARY KEY DEFAULT nextval('stage_change_id_seq'),
    episode_id      INTEGER NOT NULL,
    stage           SMALLINT NOT NULL,           -- 1..4 (Goom et al. 2016)
    effective_on    DATE NOT NULL,
    reason          VARCHAR NOT NULL,
    clinician_id    INTEGER NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX stage_changes_episode_idx ON stage_changes (episode_id);

CREATE TABLE clinic_settings (
    setting_key    VARCHAR PRIMARY KEY,
    setting_value  VARCHAR NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    updated_by     VARCHAR NOT NULL
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    audit_id     BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    occurred_at  TIMESTAMP NOT NULL,
    username     VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,               -- create | update | sign | amend | sign_in | ...
    entity       VARCHAR NOT NULL,
    entity_id    VARCHAR,
    before_json  VARCHAR,
    after_json   VARCHAR
);
