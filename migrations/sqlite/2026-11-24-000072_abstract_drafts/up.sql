-- Unsaved abstract forms, one per user and tumor, kept until the abstract is saved.
CREATE TABLE abstract_drafts (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL,
    tumor_id BIGINT NOT NULL REFERENCES tumors(id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, tumor_id)
);
