DROP INDEX patients_name_dob;
