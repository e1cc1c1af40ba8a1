DROP INDEX IF EXISTS patients_ssn;
DROP TABLE pathology_lab_tokens;
DROP TABLE pathology_reports;
DROP TABLE pathology_raw_messages;
DROP FUNCTION IF EXISTS pathology_raw_messages_refuse_change();
