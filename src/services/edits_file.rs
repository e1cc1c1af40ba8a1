//! `registrar edits FILE`: the edits on every tumor of a NAACCR XML file (plain or gzipped),
//! streamed patient by patient; one JSON line per failure and a summary line.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::domain::edits::{EditContext, EditReportLine, EditSet, EditSummary, run_edits};
use crate::domain::naaccr::{NaaccrPatient, NaaccrReadError, NaaccrXmlReader, open_input};

/// Patients read ahead per batch handed from the reading thread to the edits.
const BATCH: usize = 128;

/// Runs the edits of `set` on the file and writes the report to `out`; returns the summary.
/// The record type of the edits is the file's own (`recordType`). The XML is read on a thread of
/// its own, a few batches of patients ahead of the edits and the report (two cores in use).
pub fn run(
    path: &Path,
    set: EditSet,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<EditSummary> {
    let input =
        open_input(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    let mut reader = NaaccrXmlReader::new(input)?;
    let context = EditContext::new(today, reader.header().record_type, set);
    let (batches, received) =
        std::sync::mpsc::sync_channel::<Result<Vec<NaaccrPatient>, NaaccrReadError>>(8);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(patient) = reader.next_patient() {
                match patient {
                    Ok(p) => batch.push(p),
                    Err(e) => {
                        // The edits stop at the first unreadable patient; so does reading.
                        let _ = batches.send(Ok(batch));
                        let _ = batches.send(Err(e));
                        return;
                    }
                }
                if batch.len() == BATCH
                    && batches
                        .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                        .is_err()
                {
                    return; // the edits side stopped (write error)
                }
            }
            let _ = batches.send(Ok(batch));
        });
        let mut summary = EditSummary::default();
        let mut line = Vec::with_capacity(512);
        for batch in received {
            for patient in batch? {
                for tumor in &patient.tumors {
                    let record = (&patient.items, &tumor.items);
                    let failures = run_edits(&record, &context);
                    for failure in &failures {
                        line.clear();
                        serde_json::to_writer(&mut line, &EditReportLine::new(failure, &record))?;
                        line.push(b'\n');
                        out.write_all(&line)?;
                    }
                    summary.add_tumor(&failures);
                }
            }
        }
        Ok(summary)
    })
}

/// Writes `patients` synthetic patients of `domain::demo` as a NAACCR XML v26 incidence file
/// (record type I): the input of the edits benchmark. Returns (patients, tumors) written.
pub fn write_demo_file(
    path: &Path,
    patients: usize,
    seed: u64,
    today: NaiveDate,
) -> anyhow::Result<(usize, usize)> {
    use crate::domain::naaccr::{
        NaaccrPatient, NaaccrTumor, NaaccrVersion, NaaccrXmlWriter, RecordType, WriterOptions,
    };
    let file = std::fs::File::create(path)?;
    let mut options = WriterOptions::new(NaaccrVersion::V260, RecordType::I);
    options.indent = false;
    let mut writer = NaaccrXmlWriter::new(file, options, &[("registryId", "0000000001")])?;
    for demo in crate::domain::demo::generate(seed, patients, today) {
        let patient = NaaccrPatient {
            items: demo
                .items
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
            tumors: demo
                .tumors
                .iter()
                .map(|t| NaaccrTumor {
                    items: t
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), v.clone()))
                        .collect(),
                })
                .collect(),
        };
        writer.write_patient(&patient)?;
    }
    let (p, t) = (writer.patient_count(), writer.tumor_count());
    writer.finish()?;
    Ok((p, t))
}
