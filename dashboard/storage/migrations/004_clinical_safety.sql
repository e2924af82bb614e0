-- 004: clinical safety core (CLINICAL.md §6, §7, §9).
-- Red flags become alerts on the episode with a lifecycle (open -> resolved, who/when/why), reviewed at
-- each later visit; assessments gain the pathway fields (distal functional scale and tests, post-operative
-- protocol and restrictions), per-side provocation tests, pain during the exercises, and differentials.
-- DuckDB cannot ALTER a table that has an index: each index is dropped and made again around the change.

CREATE SEQUENCE alert_id_seq START 1;
CREATE TABLE red_flag_alerts (
    alert_id          INTEGER PRIMARY KEY DEFAULT nextval('alert_id_seq'),
    episode_id        INTEGER NOT NULL,
    kind              VARCHAR NOT NULL,          -- avulsion | cauda_equina | neurological | medical | fracture
    detail            VARCHAR,
    source            VARCHAR NOT NULL,          -- assessment | imaging | clinician
    source_id         INTEGER,                   -- the assessment or imaging report that raised it
    raised_on         DATE NOT NULL,
    injury_on         DATE,                      -- avulsion: date of injury (the 4-week surgical window)
    raised_at         TIMESTAMP NOT NULL,
    raised_by         VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,          -- open | resolved
    resolution        VARCHAR,                   -- referred | ruled_out | before_alerts
    referred_to       VARCHAR,
    referral_urgency  VARCHAR,
    referral_sent_on  DATE,
    resolution_note   VARCHAR,
    resolved_at       TIMESTAMP,
    resolved_by       VARCHAR,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_episode_idx ON red_flag_alerts (episode_id);

-- What each later visit said about each open red flag (a visit never clears one).
CREATE TABLE alert_reviews (
    alert_id       INTEGER NOT NULL,
    assessment_id  INTEGER NOT NULL,
    answer         VARCHAR NOT NULL,             -- still_present | improving | not_present
    recorded_at    TIMESTAMP NOT NULL,
    recorded_by    VARCHAR NOT NULL,
    PRIMARY KEY (alert_id, assessment_id)
);

DROP INDEX episodes_patient_idx;
ALTER TABLE episodes ADD COLUMN surgery_date DATE;   -- post-operative pathway: date of the repair
CREATE INDEX episodes_patient_idx ON episodes (patient_id);

DROP INDEX assessments_episode_idx;
ALTER TABLE assessments ADD COLUMN rf_cauda_equina BOOLEAN DEFAULT FALSE;
UPDATE assessments SET rf_cauda_equina = FALSE;
ALTER TABLE assessments RENAME COLUMN rf_ischiofemoral TO dx_ischiofemoral;  -- a differential, not a red flag (§6)
ALTER TABLE assessments ADD COLUMN dx_lumbar BOOLEAN DEFAULT FALSE;
ALTER TABLE assessments ADD COLUMN dx_sciatic BOOLEAN DEFAULT FALSE;
ALTER TABLE assessments ADD COLUMN dx_hip BOOLEAN DEFAULT FALSE;
UPDATE assessments SET dx_lumbar = FALSE, dx_sciatic = FALSE, dx_hip = FALSE;
ALTER TABLE assessments ADD COLUMN pain_exercise SMALLINT;          -- pain during and after the exercises (§9)
ALTER TABLE assessments ADD COLUMN distal_palpation VARCHAR;        -- the involved distal tendon (§7)
ALTER TABLE assessments ADD COLUMN psfs_1_activity VARCHAR;
ALTER TABLE assessments ADD COLUMN psfs_1_score SMALLINT;
ALTER TABLE assessments ADD COLUMN psfs_2_activity VARCHAR;
ALTER TABLE assessments ADD COLUMN psfs_2_score SMALLINT;
ALTER TABLE assessments ADD COLUMN psfs_3_activity VARCHAR;
ALTER TABLE assessments ADD COLUMN psfs_3_score SMALLINT;
ALTER TABLE assessments ADD COLUMN postop_phase VARCHAR;            -- the surgeon's protocol phase (§7)
ALTER TABLE assessments ADD COLUMN postop_brace BOOLEAN;
ALTER TABLE assessments ADD COLUMN postop_hip_flexion_limit SMALLINT;  -- degrees
ALTER TABLE assessments ADD COLUMN postop_loaded_flexion_week SMALLINT;  -- no loaded hip flexion before this week
ALTER TABLE assessments ADD COLUMN postop_restrictions VARCHAR;

ALTER TABLE assessments ADD COLUMN test_puranen_orava_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_puranen_orava_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_puranen_orava_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_puranen_orava_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_bent_knee_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_bent_knee_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_bent_knee_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_bent_knee_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_modified_bent_knee_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_modified_bent_knee_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_modified_bent_knee_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_modified_bent_knee_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_arabesque_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_arabesque_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_arabesque_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_arabesque_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_bridge_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_bridge_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_bridge_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_bridge_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_extended_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_extended_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_extended_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_extended_right_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_90_left VARCHAR;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_90_left_pain SMALLINT;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_90_right VARCHAR;
ALTER TABLE assessments ADD COLUMN test_resisted_flexion_90_right_pain SMALLINT;

-- Tests were recorded once, for the affected side: they move to that side (both sides when bilateral).
UPDATE assessments SET
    test_puranen_orava_left = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_puranen_orava END,
    test_puranen_orava_left_pain = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_puranen_orava_pain END,
    test_puranen_orava_right = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_puranen_orava END,
    test_puranen_orava_right_pain = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_puranen_orava_pain END
FROM episodes e WHERE e.episode_id = assessments.episode_id;
UPDATE assessments SET
    test_bent_knee_left = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_bent_knee END,
    test_bent_knee_left_pain = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_bent_knee_pain END,
    test_bent_knee_right = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_bent_knee END,
    test_bent_knee_right_pain = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_bent_knee_pain END
FROM episodes e WHERE e.episode_id = assessments.episode_id;
UPDATE assessments SET
    test_modified_bent_knee_left = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_modified_bent_knee END,
    test_modified_bent_knee_left_pain = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_modified_bent_knee_pain END,
    test_modified_bent_knee_right = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_modified_bent_knee END,
    test_modified_bent_knee_right_pain = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_modified_bent_knee_pain END
FROM episodes e WHERE e.episode_id = assessments.episode_id;
UPDATE assessments SET
    test_arabesque_left = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_arabesque END,
    test_arabesque_left_pain = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_arabesque_pain END,
    test_arabesque_right = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_arabesque END,
    test_arabesque_right_pain = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_arabesque_pain END
FROM episodes e WHERE e.episode_id = assessments.episode_id;
UPDATE assessments SET
    test_bridge_left = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_bridge END,
    test_bridge_left_pain = CASE WHEN e.side IN ('left', 'bilateral') THEN assessments.test_bridge_pain END,
    test_bridge_right = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_bridge END,
    test_bridge_right_pain = CASE WHEN e.side IN ('right', 'bilateral') THEN assessments.test_bridge_pain END
FROM episodes e WHERE e.episode_id = assessments.episode_id;
ALTER TABLE assessments DROP COLUMN test_puranen_orava;
ALTER TABLE assessments DROP COLUMN test_puranen_orava_pain;
ALTER TABLE assessments DROP COLUMN test_bent_knee;
ALTER TABLE assessments DROP COLUMN test_bent_knee_pain;
ALTER TABLE assessments DROP COLUMN test_modified_bent_knee;
ALTER TABLE assessments DROP COLUMN test_modified_bent_knee_pain;
ALTER TABLE assessments DROP COLUMN test_arabesque;
ALTER TABLE assessments DROP COLUMN test_arabesque_pain;
ALTER TABLE assessments DROP COLUMN test_bridge;
ALTER TABLE assessments DROP COLUMN test_bridge_pain;
CREATE INDEX assessments_episode_idx ON assessments (episode_id);

-- Red flags already recorded become alerts. One ticked at an open episode's latest assessment stays open
-- until a clinician resolves it; earlier ones (and those of closed episodes) are resolved "before alerts
-- existed". Nirschl 6-7 alone raises none here: the first version's phase 6 wording was wrong. Audited.
INSERT INTO red_flag_alerts (episode_id, kind, detail, source, source_id, raised_on, injury_on, raised_at, raised_by,
                             status, resolution, resolution_note, resolved_at, resolved_by)
SELECT a.episode_id, f.kind, min(f.label), 'assessment', a.assessment_id, a.assessed_on,
       CASE WHEN f.kind = 'avulsion' THEN min(e.onset_date) END, min(a.created_at), min(a.created_by),
       CASE WHEN bool_or(a.is_latest AND e.status = 'open') THEN 'open' ELSE 'resolved' END,
       CASE WHEN bool_or(a.is_latest AND e.status = 'open') THEN NULL ELSE 'before_alerts' END,
       CASE WHEN bool_or(a.is_latest AND e.status = 'open') THEN NULL
            ELSE 'Recorded before red flags became alerts; no resolution was recorded then.' END,
       CASE WHEN bool_or(a.is_latest AND e.status = 'open') THEN NULL ELSE CAST(current_timestamp AS TIMESTAMP) END,
       CASE WHEN bool_or(a.is_latest AND e.status = 'open') THEN NULL ELSE 'system' END
FROM (SELECT x.*, row_number() OVER (PARTITION BY x.episode_id ORDER BY x.assessed_on DESC, x.assessment_id DESC) = 1
             AS is_latest
      FROM assessments x) a
JOIN episodes e ON e.episode_id = a.episode_id
JOIN (VALUES ('rf_avulsion_signs', 'avulsion', 'Suspected avulsion (signs at assessment)'),
             ('rf_neurological', 'neurological', 'Neurological signs'),
             ('rf_rest_night_pain', 'medical', 'Rest or night pain'),
             ('rf_systemic', 'medical', 'Systemic symptoms'),
             ('rf_fracture', 'fracture', 'Suspected stress or avulsion fracture')) AS f(code, kind, label)
  ON (f.code = 'rf_avulsion_signs' AND a.rf_avulsion_signs) OR (f.code = 'rf_neurological' AND a.rf_neurological)
  OR (f.code = 'rf_rest_night_pain' AND a.rf_rest_night_pain) OR (f.code = 'rf_systemic' AND a.rf_systemic)
  OR (f.code = 'rf_fracture' AND a.rf_fracture)
GROUP BY a.episode_id, a.assessment_id, a.assessed_on, f.kind;

INSERT INTO red_flag_alerts (episode_id, kind, detail, source, source_id, raised_on, injury_on, raised_at, raised_by,
                             status, resolution, resolution_note, resolved_at, resolved_by)
SELECT i.episode_id, 'avulsion',
       CASE WHEN i.mri_type = 4 THEN 'Imaging: MRI type IV (bony avulsion)' ELSE 'Imaging: avulsion' END,
       'imaging', i.imaging_id, i.imaged_on, e.onset_date, i.created_at, i.created_by,
       CASE WHEN e.status = 'open' THEN 'open' ELSE 'resolved' END,
       CASE WHEN e.status = 'open' THEN NULL ELSE 'before_alerts' END,
       CASE WHEN e.status = 'open' THEN NULL
            ELSE 'Recorded before red flags became alerts; no resolution was recorded then.' END,
       CASE WHEN e.status = 'open' THEN NULL ELSE CAST(current_timestamp AS TIMESTAMP) END,
       CASE WHEN e.status = 'open' THEN NULL ELSE 'system' END
FROM imaging_reports i JOIN episodes e ON e.episode_id = i.episode_id
WHERE i.avulsion OR i.mri_type = 4;

INSERT INTO audit_log (occurred_at, username, action, entity, entity_id, after_json)
SELECT CAST(current_timestamp AS TIMESTAMP), 'system', 'migrate', 'red_flag_alert', CAST(alert_id AS VARCHAR),
       CASE WHEN status = 'open'
            THEN '{"status": "open", "note": "red flag on the latest assessment became an open alert"}'
            ELSE '{"status": "resolved", "resolution": "before alerts existed"}' END
FROM red_flag_alerts;
