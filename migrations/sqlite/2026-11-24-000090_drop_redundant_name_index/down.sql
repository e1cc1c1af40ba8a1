CREATE INDEX patients_name_key ON patients (name_last_key, name_first_key);
