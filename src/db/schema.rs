// One schema for both backends (the migrations in migrations/sqlite and migrations/postgres agree on it).

diesel::table! {
    facilities (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        sees_all_facilities -> Bool,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_facilities (user_id, facility_id) {
        user_id -> BigInt,
        facility_id -> BigInt,
    }
}

diesel::table! {
    patients (id) {
        id -> BigInt,
        facility_id -> BigInt,
        patient_id_number -> Text,
        medical_record_number -> Nullable<Text>,
        name_last -> Text,
        name_first -> Nullable<Text>,
        name_middle -> Nullable<Text>,
        name_last_key -> Text,
        name_first_key -> Text,
        date_of_birth -> Nullable<Text>,
        sex -> Nullable<Text>,
        social_security_number -> Nullable<Text>,
        ssn_last4 -> Nullable<Text>,
        vital_status -> Nullable<Text>,
        date_of_last_contact -> Nullable<Text>,
        items -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tumors (id) {
        id -> BigInt,
        patient_id -> BigInt,
        tumor_record_number -> Text,
        primary_site -> Nullable<Text>,
        histology -> Nullable<Text>,
        behavior -> Nullable<Text>,
        laterality -> Nullable<Text>,
        grade_clinical -> Nullable<Text>,
        grade_pathological -> Nullable<Text>,
        date_of_diagnosis -> Nullable<Text>,
        sequence_number_hospital -> Nullable<Text>,
        sequence_number_central -> Nullable<Text>,
        class_of_case -> Nullable<Text>,
        diagnostic_confirmation -> Nullable<Text>,
        date_of_first_contact -> Nullable<Text>,
        accession_number -> Nullable<Text>,
        schema_id -> Nullable<Text>,
        summary_stage_2018 -> Nullable<Text>,
        derived_summary_stage_2018 -> Nullable<Text>,
        cancer_status -> Nullable<Text>,
        abstract_status -> Text,
        items -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        user_id -> Nullable<BigInt>,
        user_email -> Nullable<Text>,
        facility_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<Text>,
        patient_id -> Nullable<BigInt>,
        changes -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::joinable!(user_facilities -> users (user_id));
diesel::joinable!(user_facilities -> facilities (facility_id));
diesel::joinable!(patients -> facilities (facility_id));
diesel::joinable!(tumors -> patients (patient_id));

diesel::allow_tables_to_appear_in_same_query!(
    facilities,
    users,
    user_facilities,
    patients,
    tumors,
    audit_events,
);

diesel::table! {
    followup_contacts (id) {
        id -> BigInt,
        patient_id -> BigInt,
        role -> Text,
        name -> Text,
        email -> Nullable<Text>,
        postal_address -> Nullable<Text>,
        preferred_channel -> Text,
        valid_from -> Nullable<Text>,
        valid_to -> Nullable<Text>,
        invalid -> Bool,
        invalid_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    followup_requests (id) {
        id -> BigInt,
        patient_id -> BigInt,
        contact_id -> Nullable<BigInt>,
        due_on -> Text,
        number -> Integer,
        channel -> Text,
        state -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_on -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    followup_outbox (id) {
        id -> BigInt,
        request_id -> BigInt,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        message_id -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    followup_responses (id) {
        id -> BigInt,
        request_id -> BigInt,
        patient_id -> BigInt,
        submitted_values -> Text,
        submitted_at -> Timestamp,
        state -> Text,
        applied_values -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    followup_letter_templates (id) {
        id -> BigInt,
        contact_role -> Text,
        version -> Integer,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(followup_contacts -> patients (patient_id));
diesel::joinable!(followup_requests -> patients (patient_id));
diesel::joinable!(followup_requests -> followup_contacts (contact_id));
diesel::joinable!(followup_outbox -> followup_requests (request_id));
diesel::joinable!(followup_responses -> followup_requests (request_id));
diesel::joinable!(followup_responses -> patients (patient_id));

diesel::allow_tables_to_appear_in_same_query!(
    patients,
    followup_contacts,
    followup_requests,
    followup_outbox,
    followup_responses,
    followup_letter_templates,
);
