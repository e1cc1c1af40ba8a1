-- Foundation: facilities, users, patients, tumors (typed core items + JSON for every other NAACCR item),
-- and the append-only audit trail.
CREATE TABLE facilities (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'reviewer')),
    sees_all_facilities BOOLEAN NOT NULL DEFAULT 0,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE user_facilities (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    facility_id INTEGER NOT NULL REFERENCES facilities(id),
    PRIMARY KEY (user_id, facility_id)
);

CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES facilities(id),
    patient_id_number TEXT NOT NULL,
    medical_record_number TEXT,
    name_last TEXT NOT NULL,
    name_first TEXT,
    name_middle TEXT,
    name_last_key TEXT NOT NULL,
    name_first_key TEXT NOT NULL,
    date_of_birth TEXT,
    sex TEXT,
    social_security_number TEXT,
    ssn_last4 TEXT,
    vital_status TEXT,
    date_of_last_contact TEXT,
    items TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (facility_id, patient_id_number)
);
CREATE INDEX patients_name_key ON patients (name_last_key, name_first_key);
CREATE INDEX patients_mrn ON patients (medical_record_number);
CREATE INDEX patients_dob ON patients (date_of_birth);
CREATE INDEX patients_ssn_last4 ON patients (ssn_last4);
CREATE INDEX patients_pid ON patients (patient_id_number);

CREATE TABLE tumors (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    tumor_record_number TEXT NOT NULL,
    primary_site TEXT,
    histology TEXT,
    behavior TEXT,
    laterality TEXT,
    grade_clinical TEXT,
    grade_pathological TEXT,
    date_of_diagnosis TEXT,
    sequence_number_hospital TEXT,
    sequence_number_central TEXT,
    class_of_case TEXT,
    diagnostic_confirmation TEXT,
    date_of_first_contact TEXT,
    accession_number TEXT,
    schema_id TEXT,
    summary_stage_2018 TEXT,
    derived_summary_stage_2018 TEXT,
    cancer_status TEXT,
    abstract_status TEXT NOT NULL DEFAULT 'incomplete',
    items TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tumors_patient ON tumors (patient_id);
CREATE INDEX tumors_dx ON tumors (date_of_diagnosis);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    user_id INTEGER,
    user_email TEXT,
    facility_id INTEGER,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    patient_id INTEGER,
    changes TEXT,
    detail TEXT
);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
CREATE INDEX audit_events_patient ON audit_events (patient_id);
CREATE INDEX audit_events_user ON audit_events (user_id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
