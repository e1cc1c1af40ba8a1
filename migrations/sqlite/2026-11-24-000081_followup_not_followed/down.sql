DROP TABLE followup_not_followed;
