-- 007: a tier change names the treatment planned for the new tier (shockwave, PRP ...), so the handout can
-- give that treatment's aftercare and anti-inflammatory advice before it is given (CLINICAL.md §5, §8).
DROP INDEX tier_changes_episode_idx;
ALTER TABLE tier_changes ADD COLUMN planned_treatment VARCHAR;
CREATE INDEX tier_changes_episode_idx ON tier_changes (episode_id);
