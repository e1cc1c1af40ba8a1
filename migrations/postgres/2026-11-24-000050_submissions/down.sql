DROP TABLE import_runs;
DROP TABLE submitted_tumors;
DROP FUNCTION submitted_tumors_refuse_change();
DROP TABLE submission_runs;
DROP TABLE submission_profiles;
