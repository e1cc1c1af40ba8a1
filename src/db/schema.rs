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

diesel::table! {
    pathology_raw_messages (id) {
        id -> BigInt,
        received_at -> Timestamp,
        source -> Text,
        received_by_user_id -> Nullable<BigInt>,
        lab_token_id -> Nullable<BigInt>,
        sender -> Text,
        file_name -> Nullable<Text>,
        sha256 -> Text,
        byte_length -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    pathology_reports (id) {
        id -> BigInt,
        raw_message_id -> BigInt,
        message_index -> Integer,
        start_line -> Integer,
        status -> Text,
        lab -> Text,
        lab_name -> Text,
        accession -> Text,
        duplicate_key -> Nullable<Text>,
        duplicate_of_id -> Nullable<BigInt>,
        supersedes_id -> Nullable<BigInt>,
        corrections -> Nullable<Text>,
        message_text -> Text,
        parse_error -> Nullable<Text>,
        error_line -> Nullable<Integer>,
        error_field -> Nullable<Text>,
        parsed -> Nullable<Text>,
        patient_name -> Text,
        ordering_facility -> Text,
        collection_date -> Nullable<Text>,
        reportability -> Nullable<Text>,
        screening -> Nullable<Text>,
        coding -> Nullable<Text>,
        match_candidates -> Nullable<Text>,
        matched_patient_id -> Nullable<BigInt>,
        patient_id -> Nullable<BigInt>,
        tumor_id -> Nullable<BigInt>,
        decision -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decided_by_user_id -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pathology_lab_tokens (id) {
        id -> BigInt,
        lab_name -> Text,
        clia -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by_user_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(user_facilities -> users (user_id));
diesel::joinable!(user_facilities -> facilities (facility_id));
diesel::joinable!(patients -> facilities (facility_id));
diesel::joinable!(tumors -> patients (patient_id));
diesel::joinable!(pathology_reports -> pathology_raw_messages (raw_message_id));

diesel::allow_tables_to_appear_in_same_query!(
    facilities,
    users,
    user_facilities,
    patients,
    tumors,
    audit_events,
    pathology_raw_messages,
    pathology_reports,
    pathology_lab_tokens,
);
