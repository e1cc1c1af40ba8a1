DROP INDEX IF EXISTS patients_ssn;
DROP TABLE pathology_lab_tokens;
DROP TABLE pathology_reports;
DROP TRIGGER IF EXISTS pathology_raw_messages_no_update;
DROP TRIGGER IF EXISTS pathology_raw_messages_no_delete;
DROP TABLE pathology_raw_messages;
