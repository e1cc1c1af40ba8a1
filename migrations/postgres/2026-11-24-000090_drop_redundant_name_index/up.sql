-- patients_name_dob (name_last_key, name_first_key, date_of_birth) serves every search the
-- two-column index served; one index less to maintain on every patient insert.
DROP INDEX patients_name_key;
