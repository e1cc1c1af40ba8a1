-- Submission profiles (where cases are sent, in which form), submission runs (one file each),
-- the tumors each run sent (append-only: what was submitted never changes), and import runs.
CREATE TABLE submission_profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    registry_id TEXT NOT NULL DEFAULT '',
    record_type TEXT NOT NULL,
    naaccr_version TEXT NOT NULL,
    user_dictionary TEXT,
    required_items TEXT NOT NULL DEFAULT '',
    edit_set TEXT NOT NULL DEFAULT 'state',
    deadline_months INTEGER NOT NULL DEFAULT 6,
    schedule TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE submission_runs (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES submission_profiles(id),
    status TEXT NOT NULL,
    selection TEXT NOT NULL,
    record_type TEXT NOT NULL,
    naaccr_version TEXT NOT NULL,
    cases_total INTEGER NOT NULL DEFAULT 0,
    cases_done INTEGER NOT NULL DEFAULT 0,
    patients INTEGER NOT NULL DEFAULT 0,
    tumors INTEGER NOT NULL DEFAULT 0,
    edit_errors INTEGER NOT NULL DEFAULT 0,
    edit_warnings INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '[]',
    override_reason TEXT,
    file_name TEXT,
    checksum TEXT,
    file_bytes BIGINT,
    message TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX submission_runs_profile ON submission_runs(profile_id, id);

CREATE TABLE submitted_tumors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES submission_runs(id),
    tumor_id INTEGER NOT NULL REFERENCES tumors(id),
    tumor_updated_at TIMESTAMP NOT NULL
);
CREATE INDEX submitted_tumors_tumor ON submitted_tumors(tumor_id);
CREATE INDEX submitted_tumors_run ON submitted_tumors(run_id);
CREATE TRIGGER submitted_tumors_no_update BEFORE UPDATE ON submitted_tumors
BEGIN
    SELECT RAISE(ABORT, 'submitted_tumors is append-only');
END;
CREATE TRIGGER submitted_tumors_no_delete BEFORE DELETE ON submitted_tumors
BEGIN
    SELECT RAISE(ABORT, 'submitted_tumors is append-only');
END;

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    checksum TEXT NOT NULL,
    facility_id BIGINT NOT NULL REFERENCES facilities(id),
    status TEXT NOT NULL,
    patients_read INTEGER NOT NULL DEFAULT 0,
    patients_created INTEGER NOT NULL DEFAULT 0,
    patients_updated INTEGER NOT NULL DEFAULT 0,
    patients_rejected INTEGER NOT NULL DEFAULT 0,
    tumors_created INTEGER NOT NULL DEFAULT 0,
    tumors_updated INTEGER NOT NULL DEFAULT 0,
    problems INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
