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
    staging_algorithms (id) {
        id -> BigInt,
        algorithm -> Text,
        version -> Text,
        file_name -> Text,
        sha256 -> Text,
        is_current -> Bool,
        installed_at -> Timestamp,
        installed_by -> Text,
    }
}

diesel::table! {
    tumor_stagings (id) {
        id -> BigInt,
        tumor_id -> BigInt,
        algorithm_version -> Text,
        status -> Text,
        staged_at -> Timestamp,
    }
}

diesel::table! {
    staging_rederivations (id) {
        id -> BigInt,
        from_version -> Nullable<Text>,
        to_version -> Text,
        status -> Text,
        total -> Integer,
        done -> Integer,
        changed -> Integer,
        last_tumor_id -> BigInt,
        error -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staging_rederivation_changes (id) {
        id -> BigInt,
        rederivation_id -> BigInt,
        tumor_id -> BigInt,
        patient_id -> BigInt,
        schema_id -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::table! {
    submission_profiles (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        registry_id -> Text,
        record_type -> Text,
        naaccr_version -> Text,
        user_dictionary -> Nullable<Text>,
        required_items -> Text,
        edit_set -> Text,
        deadline_months -> Integer,
        schedule -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    submission_runs (id) {
        id -> BigInt,
        profile_id -> BigInt,
        status -> Text,
        selection -> Text,
        record_type -> Text,
        naaccr_version -> Text,
        cases_total -> Integer,
        cases_done -> Integer,
        patients -> Integer,
        tumors -> Integer,
        edit_errors -> Integer,
        edit_warnings -> Integer,
        report -> Text,
        override_reason -> Nullable<Text>,
        file_name -> Nullable<Text>,
        checksum -> Nullable<Text>,
        file_bytes -> Nullable<BigInt>,
        message -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    submitted_tumors (id) {
        id -> BigInt,
        run_id -> BigInt,
        tumor_id -> BigInt,
        tumor_updated_at -> Timestamp,
    }
}

diesel::table! {
    import_runs (id) {
        id -> BigInt,
        file_name -> Text,
        stored_path -> Text,
        checksum -> Text,
        facility_id -> BigInt,
        status -> Text,
        patients_read -> Integer,
        patients_created -> Integer,
        patients_updated -> Integer,
        patients_rejected -> Integer,
        tumors_created -> Integer,
        tumors_updated -> Integer,
        problems -> Integer,
        message -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
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
        facility_id -> Nullable<BigInt>,
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
        facility_id -> Nullable<BigInt>,
    }
}

// Pathology: versioned screening lists and background uploads (migration 000062).
diesel::table! {
    screening_versions (id) {
        id -> BigInt,
        version -> Integer,
        lists -> Text,
        rules -> Text,
        rules_name -> Text,
        checksum -> Text,
        comment -> Text,
        active -> Bool,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<BigInt>,
        activated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pathology_uploads (id) {
        id -> BigInt,
        status -> Text,
        created_by_user_id -> Nullable<BigInt>,
        facility_id -> Nullable<BigInt>,
        raw_message_ids -> Text,
        file_names -> Text,
        messages_total -> Integer,
        messages_done -> Integer,
        summary -> Nullable<Text>,
        message -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

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

// followup (not followed) begin
diesel::table! {
    followup_not_followed (patient_id) {
        patient_id -> BigInt,
        next_source -> Text,
        reason -> Text,
        set_by -> Nullable<BigInt>,
        set_at -> Timestamp,
    }
}

diesel::joinable!(followup_not_followed -> patients (patient_id));
// followup (not followed) end
// --- Abstracting: QC reviews and server-side abstract drafts.
diesel::table! {
    qc_reviews (id) {
        id -> BigInt,
        tumor_id -> BigInt,
        reviewer_id -> BigInt,
        reviewer_email -> Text,
        registrar_id -> Nullable<BigInt>,
        registrar_email -> Text,
        state -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    qc_review_items (id) {
        id -> BigInt,
        review_id -> BigInt,
        naaccr_id -> Text,
        original_value -> Nullable<Text>,
        review_value -> Nullable<Text>,
        agreed -> Bool,
        reason -> Nullable<Text>,
        reason_text -> Nullable<Text>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    abstract_drafts (id) {
        id -> BigInt,
        user_id -> BigInt,
        tumor_id -> BigInt,
        data -> Text,
        saved_at -> Timestamp,
    }
}

diesel::joinable!(qc_reviews -> tumors (tumor_id));
diesel::joinable!(qc_review_items -> qc_reviews (review_id));
diesel::joinable!(abstract_drafts -> tumors (tumor_id));
// --- end abstracting

diesel::joinable!(user_facilities -> users (user_id));
diesel::joinable!(user_facilities -> facilities (facility_id));
diesel::joinable!(patients -> facilities (facility_id));
diesel::joinable!(tumors -> patients (patient_id));
diesel::joinable!(tumor_stagings -> tumors (tumor_id));
diesel::joinable!(staging_rederivation_changes -> staging_rederivations (rederivation_id));
diesel::joinable!(submission_runs -> submission_profiles (profile_id));
diesel::joinable!(submitted_tumors -> submission_runs (run_id));
diesel::joinable!(submitted_tumors -> tumors (tumor_id));
diesel::joinable!(import_runs -> facilities (facility_id));
diesel::joinable!(pathology_reports -> pathology_raw_messages (raw_message_id));
diesel::joinable!(followup_contacts -> patients (patient_id));
diesel::joinable!(followup_requests -> patients (patient_id));
diesel::joinable!(followup_requests -> followup_contacts (contact_id));
diesel::joinable!(followup_outbox -> followup_requests (request_id));
diesel::joinable!(followup_responses -> followup_requests (request_id));
diesel::joinable!(followup_responses -> patients (patient_id));

diesel::allow_tables_to_appear_in_same_query!(
    facilities,
    users,
    user_facilities,
    patients,
    tumors,
    audit_events,
    staging_algorithms,
    tumor_stagings,
    staging_rederivations,
    staging_rederivation_changes,
    submission_profiles,
    submission_runs,
    submitted_tumors,
    import_runs,
    pathology_raw_messages,
    pathology_reports,
    pathology_lab_tokens,
    screening_versions,
    pathology_uploads,
    followup_contacts,
    followup_requests,
    followup_outbox,
    followup_responses,
    followup_letter_templates,
    followup_not_followed,
    qc_reviews,
    qc_review_items,
    abstract_drafts,
);
// --- Bulk loads: secondary indexes dropped during a large import and the SQL that rebuilds them.
diesel::table! {
    deferred_indexes (name) {
        name -> Text,
        definition -> Text,
        deferred_at -> Timestamp,
    }
}
