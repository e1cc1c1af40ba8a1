-- Pathology intake. What was received is kept exactly as received (append-only), before parsing.
CREATE TABLE pathology_raw_messages (
    id INTEGER PRIMARY KEY,
    received_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL,
    received_by_user_id INTEGER REFERENCES users(id),
    lab_token_id INTEGER,
    sender TEXT NOT NULL,
    file_name TEXT,
    sha256 TEXT NOT NULL,
    byte_length BIGINT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX pathology_raw_messages_sha ON pathology_raw_messages (sha256);
CREATE TRIGGER pathology_raw_messages_no_update BEFORE UPDATE ON pathology_raw_messages
BEGIN
    SELECT RAISE(ABORT, 'pathology_raw_messages is append-only');
END;
CREATE TRIGGER pathology_raw_messages_no_delete BEFORE DELETE ON pathology_raw_messages
BEGIN
    SELECT RAISE(ABORT, 'pathology_raw_messages is append-only');
END;

-- One row per message of a received file: its processing results and the registrar's decision.
CREATE TABLE pathology_reports (
    id INTEGER PRIMARY KEY,
    raw_message_id INTEGER NOT NULL REFERENCES pathology_raw_messages(id),
    message_index INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    status TEXT NOT NULL,
    lab TEXT NOT NULL DEFAULT '',
    lab_name TEXT NOT NULL DEFAULT '',
    accession TEXT NOT NULL DEFAULT '',
    duplicate_key TEXT,
    duplicate_of_id INTEGER REFERENCES pathology_reports(id),
    supersedes_id INTEGER REFERENCES pathology_reports(id),
    corrections TEXT,
    message_text TEXT NOT NULL,
    parse_error TEXT,
    error_line INTEGER,
    error_field TEXT,
    parsed TEXT,
    patient_name TEXT NOT NULL DEFAULT '',
    ordering_facility TEXT NOT NULL DEFAULT '',
    collection_date TEXT,
    reportability TEXT,
    screening TEXT,
    coding TEXT,
    match_candidates TEXT,
    matched_patient_id INTEGER REFERENCES patients(id),
    patient_id INTEGER REFERENCES patients(id),
    tumor_id INTEGER REFERENCES tumors(id),
    decision TEXT,
    decision_reason TEXT,
    decided_by_user_id INTEGER REFERENCES users(id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pathology_reports_status ON pathology_reports (status, created_at);
CREATE INDEX pathology_reports_dupkey ON pathology_reports (duplicate_key);
CREATE INDEX pathology_reports_accession ON pathology_reports (lab, accession);
CREATE INDEX pathology_reports_raw ON pathology_reports (raw_message_id);

-- API tokens of lab systems: only a hash of the token is kept.
CREATE TABLE pathology_lab_tokens (
    id INTEGER PRIMARY KEY,
    lab_name TEXT NOT NULL,
    clia TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id INTEGER REFERENCES users(id),
    revoked_at TIMESTAMP,
    revoked_by_user_id INTEGER REFERENCES users(id)
);

-- Patients are matched on SSN (with DOB) first.
CREATE INDEX patients_ssn ON patients (social_security_number);
