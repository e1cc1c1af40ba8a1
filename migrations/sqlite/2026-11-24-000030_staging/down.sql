DROP TABLE staging_rederivation_changes;
DROP TABLE staging_rederivations;
DROP TABLE tumor_stagings;
DROP TABLE staging_algorithms;
