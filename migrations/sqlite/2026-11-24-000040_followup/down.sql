DROP TABLE followup_letter_templates;
DROP TABLE followup_responses;
DROP TABLE followup_outbox;
DROP TABLE followup_requests;
DROP TABLE followup_contacts;
