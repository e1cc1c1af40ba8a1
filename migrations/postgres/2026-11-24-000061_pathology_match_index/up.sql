-- Pathology patient matching: same last and first name born the same year (or birth date unknown)
-- is answered from this index without reading the patients' rows.
CREATE INDEX patients_name_dob ON patients (name_last_key, name_first_key, date_of_birth);
