//! Storage on both backends: any NAACCR item round-trips, the audit trail is append-only,
//! bulk loads work.

use diesel::RunQueryDsl;
use registrar::audit::Actor;
use registrar::domain::naaccr::{Dictionary, ItemLevel, NaaccrVersion};
use registrar::models::patient::{self, Patient, Scope};
use registrar::models::record::patient_record;
use registrar::models::tumor::{self, Tumor};
use registrar::services::patients::set_items;

use crate::common::spawn_app;

#[tokio::test]
async fn every_item_of_the_dictionary_can_be_stored_and_read_back() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let facility = app.facility("0000000001");
    let mut p = Patient::blank(facility);
    p.set_items([
        ("nameLast", Some("Arbitrary".to_string())),
        ("patientIdNumber", Some("00000042".to_string())),
    ]);
    let saved = patient::insert(&mut conn, &mut p).unwrap();
    let t = tumor::insert(&mut conn, &Tumor::blank(saved.id, "01".into())).unwrap();

    // Every patient- and tumor-level item of the 260 dictionary gets a value of its own length and type.
    let dictionary = Dictionary::base(NaaccrVersion::V260);
    let value_for = |length: u32, numeric: bool| -> String {
        let n = length.min(8) as usize;
        if numeric {
            "1".repeat(n)
        } else {
            "A".repeat(n)
        }
    };
    let mut patient_items = Vec::new();
    let mut tumor_items = Vec::new();
    for def in dictionary.items() {
        let numeric = !matches!(
            def.data_type,
            registrar::domain::naaccr::DataType::Text
                | registrar::domain::naaccr::DataType::Alpha
                | registrar::domain::naaccr::DataType::Mixed
        );
        let value = match def.data_type {
            registrar::domain::naaccr::DataType::Date => "20240315".to_string(),
            registrar::domain::naaccr::DataType::DateTime => "2024-03-15T10:00:00".to_string(),
            registrar::domain::naaccr::DataType::Digits
            | registrar::domain::naaccr::DataType::Alpha
            | registrar::domain::naaccr::DataType::Mixed => value_for(def.length, numeric)
                .chars()
                .cycle()
                .take(def.length as usize)
                .collect(),
            _ => value_for(def.length, numeric),
        };
        match def.level {
            ItemLevel::Patient => patient_items.push((def.naaccr_id.clone(), Some(value))),
            ItemLevel::Tumor => tumor_items.push((def.naaccr_id.clone(), Some(value))),
            ItemLevel::NaaccrData => {}
        }
    }
    let actor = Actor::system("test");
    set_items(
        &mut conn,
        &actor,
        &Scope::All,
        saved.id,
        &patient_items,
        Some((t.id, &tumor_items)),
    )
    .unwrap();

    let stored = patient::find_scoped(&mut conn, &Scope::All, saved.id)
        .unwrap()
        .unwrap();
    let tumors = tumor::for_patient(&mut conn, saved.id).unwrap();
    let record = patient_record(&stored, &tumors);
    for (id, value) in &patient_items {
        if id == "medicalRecordNumber" {
            continue;
        }
        assert_eq!(
            record.patient.get(id.as_str()),
            value.as_ref(),
            "patient item {id} on {}",
            crate::common::backend(&conn)
        );
    }
    for (id, value) in &tumor_items {
        assert_eq!(
            record.tumors[0].get(id.as_str()),
            value.as_ref(),
            "tumor item {id} on {}",
            crate::common::backend(&conn)
        );
    }
    assert!(
        patient_items.len() >= 40 && tumor_items.len() >= 700,
        "{} {}",
        patient_items.len(),
        tumor_items.len()
    );
    // The typed columns hold the queried items.
    assert_eq!(
        tumors[0].primary_site.as_deref(),
        tumor_items
            .iter()
            .find(|(k, _)| k == "primarySite")
            .and_then(|(_, v)| v.as_deref())
    );
    // Clearing an item removes it.
    set_items(
        &mut conn,
        &actor,
        &Scope::All,
        saved.id,
        &[("nameAlias".to_string(), None)],
        None,
    )
    .unwrap();
    let stored = patient::find_scoped(&mut conn, &Scope::All, saved.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.item("nameAlias"), None);
    // A value that breaks the dictionary is refused with the item named.
    let err = set_items(
        &mut conn,
        &actor,
        &Scope::All,
        saved.id,
        &[("dateOfBirth".to_string(), Some("19601399".to_string()))],
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("dateOfBirth"), "{err}");
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_events() {
    let app = spawn_app().await;
    let _ = app.admin_client().await;
    let mut conn = app.conn();
    let before = app.audit_rows().len();
    assert!(before >= 2);
    let update = diesel::sql_query("UPDATE audit_events SET action = 'nothing'").execute(&mut conn);
    assert!(update.is_err(), "UPDATE must be refused");
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(&mut conn);
    assert!(delete.is_err(), "DELETE must be refused");
    assert_eq!(app.audit_rows().len(), before);
    assert!(app.audit_rows().iter().all(|r| r.action != "nothing"));
}

#[tokio::test]
async fn demo_data_is_deterministic_and_searchable() {
    let app = spawn_app().await;
    let facility = app.facility("0000000001");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let mut conn = app.conn();
    let load =
        registrar::services::demo::load(&mut conn, facility, 300, 42, today, |_| {}).unwrap();
    assert_eq!(load.patients, 300);
    assert!(load.tumors >= 300);
    assert_eq!(patient::count(&mut conn).unwrap(), 300);
    assert_eq!(tumor::count(&mut conn).unwrap() as usize, load.tumors);
    let first = patient::find_scoped(&mut conn, &Scope::All, 1)
        .unwrap()
        .unwrap();
    let expected = registrar::domain::demo::generate(42, 1, today)
        .next()
        .unwrap();
    assert_eq!(Some(first.name_last.as_str()), expected.item("nameLast"));
    assert_eq!(first.date_of_birth.as_deref(), expected.item("dateOfBirth"));
    // The MRN, a tumor-level NAACCR item, is kept on the patient where it is searched.
    assert_eq!(
        first.medical_record_number.as_deref(),
        expected.tumors[0]
            .get("medicalRecordNumber")
            .map(String::as_str)
    );
    let by_mrn = patient::PatientSearch {
        mrn: first.medical_record_number.clone().unwrap(),
        ..Default::default()
    };
    assert_eq!(
        patient::search(&mut conn, &Scope::All, &by_mrn, 10)
            .unwrap()
            .len(),
        1
    );
    // A second load continues the patient numbers instead of colliding.
    let more = registrar::services::demo::load(&mut conn, facility, 10, 43, today, |_| {}).unwrap();
    assert_eq!(more.patients, 10);
    assert_eq!(patient::count(&mut conn).unwrap(), 310);
    let criteria = patient::PatientSearch {
        name: first.name_last[..3].to_string(),
        ..Default::default()
    };
    let found = patient::search(&mut conn, &Scope::All, &criteria, 1000).unwrap();
    assert!(found.iter().any(|p| p.id == first.id));
}
