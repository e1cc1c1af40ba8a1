DROP TABLE pathology_uploads;
DROP INDEX pathology_raw_messages_facility;
ALTER TABLE pathology_lab_tokens DROP COLUMN facility_id;
ALTER TABLE pathology_raw_messages DROP COLUMN facility_id;
DROP TABLE screening_versions;
