DROP TABLE import_runs;
DROP TABLE submitted_tumors;
DROP TABLE submission_runs;
DROP TABLE submission_profiles;
