DROP TRIGGER IF EXISTS audit_events_no_delete;
DROP TRIGGER IF EXISTS audit_events_no_update;
DROP TABLE audit_events;
DROP TABLE tumors;
DROP TABLE patients;
DROP TABLE user_facilities;
DROP TABLE users;
DROP TABLE facilities;
