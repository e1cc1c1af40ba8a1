DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;
DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events;
DROP FUNCTION IF EXISTS audit_events_refuse_change();
DROP TABLE audit_events;
DROP TABLE tumors;
DROP TABLE patients;
DROP TABLE user_facilities;
DROP TABLE users;
DROP TABLE facilities;
