-- 005: treatment safety (CLINICAL.md §8). Every injection records the agent, the dose and who gave it
-- (a person's name; may be a doctor outside the clinic) and a review date; a shockwave session or an
-- injection keeps its safety screen (JSON: {"answers": {item code: true/false}, "computed": [codes the
-- record decided]}) and, when an item applied, the clinician's reason for going ahead. image_guidance
-- stays the guidance actually used: ultrasound | landmark | none (older rows keep their values).
-- All new columns are nullable: older treatments and other kinds have none of them.
-- DuckDB cannot ALTER a table that has an index: the index is dropped and made again.
DROP INDEX treatments_episode_idx;
ALTER TABLE treatments ADD COLUMN agent VARCHAR;
ALTER TABLE treatments ADD COLUMN dose VARCHAR;
ALTER TABLE treatments ADD COLUMN given_by VARCHAR;
ALTER TABLE treatments ADD COLUMN review_on DATE;
ALTER TABLE treatments ADD COLUMN screen_json VARCHAR;
ALTER TABLE treatments ADD COLUMN override_reason VARCHAR;
CREATE INDEX treatments_episode_idx ON treatments (episode_id);
