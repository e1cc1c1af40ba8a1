-- Quality control: a reviewer re-abstracts a case blind; each compared item keeps the original and
-- the review value, the discrepancy reason and how the difference was resolved.

CREATE TABLE qc_reviews (
    id INTEGER PRIMARY KEY,
    tumor_id BIGINT NOT NULL REFERENCES tumors(id) ON DELETE CASCADE,
    reviewer_id BIGINT NOT NULL,
    reviewer_email TEXT NOT NULL,
    -- Who completed the abstract (from the audit trail when the review was submitted).
    registrar_id BIGINT,
    registrar_email TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX qc_reviews_tumor ON qc_reviews(tumor_id);

CREATE TABLE qc_review_items (
    id INTEGER PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES qc_reviews(id) ON DELETE CASCADE,
    naaccr_id TEXT NOT NULL,
    original_value TEXT,
    review_value TEXT,
    agreed BOOLEAN NOT NULL DEFAULT 0,
    reason TEXT,
    reason_text TEXT,
    resolution TEXT,
    UNIQUE (review_id, naaccr_id)
);
