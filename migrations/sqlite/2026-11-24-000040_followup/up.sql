-- Follow-up: contacts, requests (one per patient, due cycle and request number), the mail outbox,
-- responses held for the registrar, and versioned letter templates.

CREATE TABLE followup_contacts (
    id INTEGER PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    postal_address TEXT,
    preferred_channel TEXT NOT NULL DEFAULT 'email',
    valid_from TEXT,
    valid_to TEXT,
    invalid BOOLEAN NOT NULL DEFAULT 0,
    invalid_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX followup_contacts_patient ON followup_contacts(patient_id);

CREATE TABLE followup_requests (
    id INTEGER PRIMARY KEY,
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    contact_id BIGINT REFERENCES followup_contacts(id),
    due_on TEXT NOT NULL,
    number INTEGER NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_on TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The idempotence guarantee: one request number per patient and due cycle, whoever runs the job.
    UNIQUE (patient_id, due_on, number)
);
CREATE INDEX followup_requests_state ON followup_requests(state);

CREATE TABLE followup_outbox (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES followup_requests(id),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    message_id TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX followup_outbox_due ON followup_outbox(state, next_attempt_at);
CREATE TRIGGER followup_outbox_no_delete BEFORE DELETE ON followup_outbox
BEGIN
    SELECT RAISE(ABORT, 'followup_outbox rows are never deleted');
END;

CREATE TABLE followup_responses (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL UNIQUE REFERENCES followup_requests(id),
    patient_id BIGINT NOT NULL REFERENCES patients(id),
    submitted_values TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    state TEXT NOT NULL,
    applied_values TEXT,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP
);
CREATE INDEX followup_responses_state ON followup_responses(state);
CREATE TRIGGER followup_responses_no_delete BEFORE DELETE ON followup_responses
BEGIN
    SELECT RAISE(ABORT, 'followup_responses rows are never deleted');
END;

CREATE TABLE followup_letter_templates (
    id INTEGER PRIMARY KEY,
    contact_role TEXT NOT NULL,
    version INTEGER NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (contact_role, version)
);
CREATE TRIGGER followup_letter_templates_no_update BEFORE UPDATE ON followup_letter_templates
BEGIN
    SELECT RAISE(ABORT, 'letter templates are versioned: add a version');
END;
CREATE TRIGGER followup_letter_templates_no_delete BEFORE DELETE ON followup_letter_templates
BEGIN
    SELECT RAISE(ABORT, 'letter templates are versioned: add a version');
END;
