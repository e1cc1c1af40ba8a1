-- Screening keyword lists and reportability rules, versioned; one version is active at a time.
-- Version 1 (the project's own defaults) is seeded by the application on first use.
CREATE TABLE screening_versions (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    lists TEXT NOT NULL,
    rules TEXT NOT NULL,
    rules_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    comment TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id INTEGER REFERENCES users(id),
    activated_at TIMESTAMP
);
CREATE INDEX screening_versions_active ON screening_versions (active);

-- The registry facility received messages (and so their reports) belong to: the uploader's
-- choice, or the lab token's facility; NULL = the central registry only. (The screening version
-- of a report is in its stored screening result.)
ALTER TABLE pathology_raw_messages ADD COLUMN facility_id INTEGER REFERENCES facilities(id);
CREATE INDEX pathology_raw_messages_facility ON pathology_raw_messages (facility_id);
-- Reports sent with a lab token belong to the token's facility.
ALTER TABLE pathology_lab_tokens ADD COLUMN facility_id INTEGER REFERENCES facilities(id);

-- Browser uploads: the files are stored in the request, then read in the background.
CREATE TABLE pathology_uploads (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    created_by_user_id INTEGER REFERENCES users(id),
    facility_id INTEGER REFERENCES facilities(id),
    raw_message_ids TEXT NOT NULL,
    file_names TEXT NOT NULL,
    messages_total INTEGER NOT NULL,
    messages_done INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    message TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX pathology_uploads_status ON pathology_uploads (status);
