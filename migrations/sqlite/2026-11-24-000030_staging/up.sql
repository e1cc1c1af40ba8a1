-- Installed SEER staging algorithms; exactly one is current.
CREATE TABLE staging_algorithms (
    id INTEGER PRIMARY KEY,
    algorithm TEXT NOT NULL,
    version TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    is_current BOOLEAN NOT NULL DEFAULT 0,
    installed_at TIMESTAMP NOT NULL,
    installed_by TEXT NOT NULL
);

-- The algorithm version that derived each staged tumor's values.
CREATE TABLE tumor_stagings (
    id INTEGER PRIMARY KEY,
    tumor_id INTEGER NOT NULL UNIQUE REFERENCES tumors (id) ON DELETE CASCADE,
    algorithm_version TEXT NOT NULL,
    status TEXT NOT NULL,
    staged_at TIMESTAMP NOT NULL
);

-- Re-derivation of every staged tumor after the algorithm version changed (restart-safe:
-- tumors are processed in id order and last_tumor_id records how far the job got).
CREATE TABLE staging_rederivations (
    id INTEGER PRIMARY KEY,
    from_version TEXT,
    to_version TEXT NOT NULL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    last_tumor_id INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);

CREATE TABLE staging_rederivation_changes (
    id INTEGER PRIMARY KEY,
    rederivation_id INTEGER NOT NULL REFERENCES staging_rederivations (id),
    tumor_id INTEGER NOT NULL,
    patient_id INTEGER NOT NULL,
    schema_id TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX staging_rederivation_changes_job ON staging_rederivation_changes (rederivation_id);
