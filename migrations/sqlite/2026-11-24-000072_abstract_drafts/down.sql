DROP TABLE abstract_drafts;
