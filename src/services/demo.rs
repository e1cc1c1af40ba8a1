//! `registrar demo`: loads synthetic patients and tumors (deterministic per seed) through the
//! record view, in batches, so a fresh installation has realistic data to work with.

use chrono::NaiveDate;

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::db::{DbConn, write_tx};
use crate::domain::demo;
use crate::error::AppError;
use crate::models::patient::{self, Patient};
use crate::models::tumor::{self, Tumor};

const BATCH: usize = 2_000;

/// Counts of what a demo load wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoLoad {
    pub patients: usize,
    pub tumors: usize,
}

/// Generates `patients` synthetic patients for `facility_id` and stores them. `progress` is called
/// after each batch with the patients stored so far.
pub fn load(
    conn: &mut DbConn,
    facility_id: i64,
    patients: usize,
    seed: u64,
    today: NaiveDate,
    mut progress: impl FnMut(usize),
) -> Result<DemoLoad, AppError> {
    let first_number: u64 = patient::next_patient_id_number(conn, facility_id)?
        .parse()
        .unwrap_or(1);
    let mut generated = demo::generate(seed, patients, today).enumerate().peekable();
    let mut load = DemoLoad::default();
    while generated.peek().is_some() {
        let batch: Vec<(usize, demo::DemoPatient)> = generated.by_ref().take(BATCH).collect();
        let stored = write_tx(conn, |conn| -> Result<DemoLoad, AppError> {
            let mut rows: Vec<Patient> = batch
                .iter()
                .map(|(i, p)| {
                    let mut row = Patient::blank(facility_id);
                    row.set_items(p.items.iter().map(|(k, v)| (*k, Some(v.clone()))));
                    // NAACCR carries the MRN on each tumor; the patient keeps it (searchable).
                    row.medical_record_number = p
                        .tumors
                        .first()
                        .and_then(|t| t.get("medicalRecordNumber"))
                        .cloned();
                    row.patient_id_number = format!("{:08}", first_number + *i as u64);
                    row
                })
                .collect();
            let ids = patient::insert_many(conn, &mut rows)?;
            let tumors: Vec<Tumor> = batch
                .iter()
                .zip(&ids)
                .flat_map(|((_, p), id)| {
                    p.tumors.iter().enumerate().map(move |(n, items)| {
                        let mut row = Tumor::blank(*id, format!("{:02}", n + 1));
                        let patient_mrn =
                            p.tumors.first().and_then(|t| t.get("medicalRecordNumber"));
                        row.set_items(
                            items
                                .iter()
                                .filter(|(k, v)| {
                                    **k != "medicalRecordNumber" || Some(*v) != patient_mrn
                                })
                                .map(|(k, v)| (*k, Some(v.clone()))),
                        );
                        row
                    })
                })
                .collect();
            tumor::insert_many(conn, &tumors)?;
            Ok(DemoLoad {
                patients: rows.len(),
                tumors: tumors.len(),
            })
        })?;
        load.patients += stored.patients;
        load.tumors += stored.tumors;
        progress(load.patients);
    }
    audit::record_now(
        conn,
        &Actor::system("demo"),
        &AuditEvent::new(Action::Import, "patient")
            .facility(facility_id)
            .detail(format!(
                "demo data: {} patients, {} tumors, seed {seed}",
                load.patients, load.tumors
            )),
    )?;
    Ok(load)
}
