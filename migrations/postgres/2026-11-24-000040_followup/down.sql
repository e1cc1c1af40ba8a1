DROP TABLE followup_letter_templates;
DROP TABLE followup_responses;
DROP TABLE followup_outbox;
DROP TABLE followup_requests;
DROP TABLE followup_contacts;
DROP FUNCTION IF EXISTS followup_letter_templates_no_delete_refuse();
DROP FUNCTION IF EXISTS followup_letter_templates_no_update_refuse();
DROP FUNCTION IF EXISTS followup_responses_no_delete_refuse();
DROP FUNCTION IF EXISTS followup_outbox_no_delete_refuse();
