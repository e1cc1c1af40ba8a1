-- Why a registrar stopped following a patient (Next Follow-Up Source 8 or 9 on the tumors says
-- that it is not followed; NAACCR has no item for the reason).
CREATE TABLE followup_not_followed (
    patient_id BIGINT PRIMARY KEY REFERENCES patients(id),
    next_source TEXT NOT NULL,
    reason TEXT NOT NULL,
    set_by BIGINT REFERENCES users(id),
    set_at TIMESTAMP NOT NULL
);
