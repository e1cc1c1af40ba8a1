//! NAACCR export and import as a receiving registry sees them: files written by the real binary,
//! validated against the NAACCR XML 1.8 schema with xmllint, re-read by the reader, imported back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use registrar::domain::demo;
use registrar::domain::naaccr::{
    Dictionary, NaaccrPatient, NaaccrTumor, NaaccrVersion, NaaccrXmlReader, NaaccrXmlWriter,
    RecordType, WriterOptions, create_output, open_input,
};

use crate::common::{TestApp, spawn_app};

fn registrar(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registrar"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("REGISTRAR_DATA_DIR", app.settings.data_dir.as_os_str())
        .env("REGISTRAR_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> String {
    let output = cmd.output().expect("registrar runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn xsd() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/naaccr/naaccr_data_1.8.xsd")
}

/// Validates a (possibly gzipped) file against the NAACCR XML 1.8 schema with xmllint.
/// Without xmllint the test says so and goes on (CI installs libxml2-utils; there it must exist).
fn assert_schema_valid(path: &Path) {
    let probe = Command::new("xmllint").arg("--version").output();
    if probe.is_err() {
        assert!(std::env::var("CI").is_err(), "xmllint missing under CI");
        eprintln!("SKIPPED schema validation: xmllint not installed");
        return;
    }
    let output = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd())
        .arg(path)
        .output()
        .expect("xmllint runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read_all(path: &Path) -> (Vec<NaaccrPatient>, usize) {
    let mut reader = NaaccrXmlReader::new(open_input(path).unwrap()).unwrap();
    let mut patients = Vec::new();
    while let Some(p) = reader.next_patient() {
        patients.push(p.unwrap());
    }
    let issues = reader.take_issues();
    assert!(issues.is_empty(), "{issues:?}");
    (patients, 0)
}

/// Synthetic cases as NAACCR records with every item the generator makes.
fn demo_patients(count: usize, first_number: u64) -> Vec<NaaccrPatient> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    demo::generate(7, count, today)
        .enumerate()
        .map(|(i, p)| {
            let mut items: BTreeMap<String, String> = p
                .items
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            items.insert(
                "patientIdNumber".into(),
                format!("{:08}", first_number + i as u64),
            );
            NaaccrPatient {
                items,
                tumors: p
                    .tumors
                    .iter()
                    .map(|t| NaaccrTumor {
                        items: t.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn write_file(path: &Path, record_type: RecordType, patients: &[NaaccrPatient]) {
    let out = create_output(path).unwrap();
    let options = WriterOptions::new(NaaccrVersion::V260, record_type);
    let mut writer = NaaccrXmlWriter::new(out, options, &[("registryId", "0000012345")]).unwrap();
    for p in patients {
        writer.write_patient(p).unwrap();
    }
    writer.finish().unwrap().finish().unwrap();
}

/// Only the items of a record type (what a file of that type can carry).
fn of_record_type(p: &NaaccrPatient, record_type: RecordType) -> NaaccrPatient {
    let dictionary = Dictionary::base(NaaccrVersion::V260);
    let keep = |items: &BTreeMap<String, String>| {
        items
            .iter()
            .filter(|(id, _)| {
                dictionary
                    .item(id)
                    .is_some_and(|d| d.record_types.contains(record_type))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    NaaccrPatient {
        items: keep(&p.items),
        tumors: p
            .tumors
            .iter()
            .map(|t| NaaccrTumor {
                items: keep(&t.items),
            })
            .collect(),
    }
}

#[tokio::test]
async fn an_imported_file_exports_back_with_every_item_of_every_tumor() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    for (record_type, profile) in [
        (RecordType::A, "State central registry"),
        (RecordType::I, "NPCR"),
    ] {
        // Each record type in its own facility, so the export of one does not see the other.
        let facility = format!("FAC{}", record_type.as_str());
        let source: Vec<NaaccrPatient> = demo_patients(60, 1)
            .iter()
            .map(|p| of_record_type(p, record_type))
            .collect();
        let input = dir
            .path()
            .join(format!("in-{}.xml.gz", record_type.as_str()));
        write_file(&input, record_type, &source);
        assert_schema_valid(&input);
        let items: usize = source
            .iter()
            .flat_map(|p| &p.tumors)
            .map(|t| t.items.len())
            .sum();
        assert!(items > 60 * 30, "many items per tumor: {items}");

        let out = run(registrar(&app)
            .arg("import")
            .arg(&input)
            .args(["--facility", facility.as_str()]));
        assert!(out.contains("60 created"), "{out}");
        assert!(out.contains("0 rejected"), "{out}");
        // A second import of the same file changes nothing.
        let again = run(registrar(&app)
            .arg("import")
            .arg(&input)
            .args(["--facility", facility.as_str()]));
        assert!(again.contains("60 unchanged"), "{again}");

        // Export only this facility's cases: the same record type, through a profile.
        let exported = dir.path().join(format!("out-{}.xml", record_type.as_str()));
        let facility_id = app.facility(&facility);
        let mut conn = app.conn();
        let scope = registrar::models::patient::Scope::Facilities(vec![facility_id]);
        registrar::services::submissions::ensure_default_profiles(&mut conn).unwrap();
        let profile = registrar::models::submission::find_profile_by_name(&mut conn, profile)
            .unwrap()
            .unwrap();
        let request = registrar::services::submissions::export_request(
            &profile,
            None,
            None,
            Default::default(),
        )
        .unwrap();
        assert_eq!(request.record_type, record_type);
        let summary = registrar::services::export::export_to_file(
            &mut conn,
            &registrar::audit::Actor::system("test"),
            &scope,
            &request,
            &exported,
            |_, _| Ok(()),
        )
        .unwrap();
        drop(conn);
        assert_eq!(summary.patients, 60);
        assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
        assert_schema_valid(&exported);

        let (back, _) = read_all(&exported);
        assert_eq!(back.len(), source.len());
        for (a, b) in source.iter().zip(&back) {
            assert_eq!(a.items, b.items, "patient items");
            assert_eq!(a.tumors.len(), b.tumors.len());
            for (ta, tb) in a.tumors.iter().zip(&b.tumors) {
                assert_eq!(ta.items, tb.items, "every item of every tumor");
            }
        }
    }
    // One import event per patient created (60 per record type), none for the unchanged re-import.
    let imports = app
        .audit_rows()
        .into_iter()
        .filter(|r| r.action == "import" && r.entity == "patient")
        .count();
    assert_eq!(imports, 120);
}

#[tokio::test]
async fn the_command_line_export_writes_valid_files_of_each_record_type_and_version() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    run(registrar(&app).args(["demo", "--patients", "80", "--seed", "3"]));
    for (profile, args, name) in [
        ("NPCR", vec![], "npcr.xml"),
        ("NCDB", vec!["--naaccr-version", "250"], "ncdb-250.xml.gz"),
        ("SEER", vec!["--record-type", "C"], "seer-c.xml"),
        (
            "State central registry",
            vec![
                "--record-type",
                "M",
                "--diagnosed-from",
                "2018-01-01",
                "--diagnosed-to",
                "2022",
            ],
            "state-m.xml",
        ),
    ] {
        let out = dir.path().join(name);
        let stdout = run(registrar(&app)
            .args(["export", "--profile", profile, "--out"])
            .arg(&out)
            .args(&args));
        assert!(stdout.contains("tumors"), "{stdout}");
        assert_schema_valid(&out);
        let mut reader = NaaccrXmlReader::new(open_input(&out).unwrap()).unwrap();
        let header = reader.header().clone();
        let mut tumors = 0;
        while let Some(p) = reader.next_patient() {
            let p = p.unwrap();
            if header.record_type == RecordType::I {
                assert!(p.item("nameLast").is_none(), "no names in an I file");
            }
            for t in &p.tumors {
                if name == "state-m.xml" {
                    let dx = t.item("dateOfDiagnosis").unwrap();
                    assert!(("2018".."2023").contains(&dx), "{dx}");
                }
            }
            tumors += p.tumors.len();
        }
        assert!(reader.take_issues().is_empty());
        assert!(tumors > 0, "{name}");
        match name {
            "ncdb-250.xml.gz" => {
                assert_eq!(header.version, NaaccrVersion::V250);
                assert_eq!(header.record_type, RecordType::A);
                let raw = std::fs::read(&out).unwrap();
                assert!(raw.starts_with(&[0x1f, 0x8b]), "gzip");
            }
            "seer-c.xml" => assert_eq!(header.record_type, RecordType::C),
            "state-m.xml" => assert_eq!(header.record_type, RecordType::M),
            _ => assert_eq!(header.record_type, RecordType::I),
        }
        // Nothing half-written is left beside the file.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
    }
    // A failing export (the folder does not exist) leaves no file and says why.
    let output = registrar(&app)
        .args(["export", "--profile", "NPCR", "--out"])
        .arg(dir.path().join("missing/x.xml"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let output = registrar(&app)
        .args(["export", "--profile", "Nobody", "--out"])
        .arg(dir.path().join("x.xml"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no submission profile named"));
    assert!(!dir.path().join("x.xml").exists());
    let exports = app
        .audit_rows()
        .into_iter()
        .filter(|r| r.action == "export")
        .count();
    assert_eq!(exports, 4, "one export event per file");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/naaccr")
        .join(name)
}

#[tokio::test]
async fn import_reports_rejected_patients_with_line_patient_and_item_and_keeps_the_good_ones() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("problems.csv");
    // Invalid items: both patients rejected, each problem listed with its line and item.
    let output = registrar(&app)
        .arg("import")
        .arg(fixture("invalid-items-260.xml"))
        .arg("--problems")
        .arg(&problems)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("2 rejected"), "{stdout}");
    let csv = std::fs::read_to_string(&problems).unwrap();
    assert!(csv.starts_with("line,patient,tumor,patientIdNumber,item,problem,outcome"));
    assert!(
        csv.contains("8,1,,00000001,primarySite,item belongs to the Tumor level"),
        "{csv}"
    );
    assert!(csv.contains("stateCaseFlag,unknown item"), "{csv}");
    assert!(
        csv.contains("sequenceNumberCentral,value is 1 characters long"),
        "{csv}"
    );

    // Spec 1.5 to 1.8, dictionaries 180 to 260, gzip, extensions: all import.
    for name in [
        "valid-180-spec15-user-dictionary.xml",
        "valid-260-user-dictionary-210-spec16.xml",
        "valid-250-spec17.xml",
        "valid-260-incidence-extensions.xml.gz",
    ] {
        let user_dictionary = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/naaccr/user-defined-naaccr-dictionary-210.xml");
        let out = run(registrar(&app)
            .arg("import")
            .arg(fixture(name))
            .arg("--problems")
            .arg(&problems)
            .arg("--user-dictionary")
            .arg(&user_dictionary));
        assert!(out.contains("0 rejected"), "{name}: {out}");
        assert!(
            !out.contains(" 0 created, 0 updated, 0 unchanged"),
            "{name}: {out}"
        );
    }

    // Broken XML: a clear error with the line; the patients before the break are stored.
    let output = registrar(&app)
        .arg("import")
        .arg(fixture("broken-260.xml"))
        .arg("--problems")
        .arg(&problems)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("broken at line"), "{stdout}");
}

#[tokio::test]
async fn an_export_of_one_facility_takes_its_patients_between_other_facilities_patients() {
    use registrar::models::patient::{self, Patient, Scope};
    use registrar::models::tumor::{self, Tumor};
    use registrar::services::export::{CaseSelection, for_each_chunk};
    let app = spawn_app().await;
    let (a, b) = (app.facility("FACA"), app.facility("FACB"));
    let mut conn = app.conn();
    // Patients of A and B alternate in id order, each with one tumor.
    let mut of_a = Vec::new();
    for (i, facility) in [a, b, a, b, a].into_iter().enumerate() {
        let mut row = Patient::blank(facility);
        row.patient_id_number = format!("{:08}", i + 1);
        row.name_last = format!("Alternate{i}");
        let stored = patient::insert(&mut conn, &mut row).unwrap();
        tumor::insert(&mut conn, &Tumor::blank(stored.id, "01".into())).unwrap();
        if facility == a {
            of_a.push(stored.id);
        }
    }
    let mut exported = Vec::new();
    for_each_chunk(
        &mut conn,
        &Scope::Facilities(vec![a]),
        &CaseSelection::default(),
        |cases| {
            for case in cases {
                assert!(case.tumors.iter().all(|t| t.patient_id == case.patient.id));
                exported.push((case.patient.id, case.tumors.len()));
            }
            Ok(true)
        },
    )
    .unwrap();
    assert_eq!(
        exported,
        of_a.iter().map(|id| (*id, 1)).collect::<Vec<_>>(),
        "every patient of A with its tumor, none of B"
    );
}

/// The indexes a large import sets aside (`SET_ASIDE` in the import service).
const SET_ASIDE: [&str; 5] = [
    "patients_dob",
    "patients_mrn",
    "patients_pid",
    "patients_ssn_last4",
    "tumors_dx",
];

#[tokio::test]
async fn a_large_import_sets_search_indexes_aside_and_always_rebuilds_them() {
    use registrar::db::deferred;
    use registrar::error::AppError;
    use registrar::services::import::{self, ImportOptions, IndexPolicy};
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("large.xml");
    // More patients than one batch (2,000), so the load goes on after the indexes are dropped.
    write_file(&input, RecordType::I, &demo_patients(2_300, 1));
    let facility = app.facility("FACBIG");
    let actor = registrar::audit::Actor::system("test");
    let load = |conn: &mut registrar::db::DbConn,
                path: &Path,
                indexes: IndexPolicy,
                progress: &mut dyn FnMut() -> Result<(), AppError>| {
        let options = ImportOptions {
            indexes,
            ..ImportOptions::default()
        };
        import::import_file::<std::fs::File>(conn, &actor, facility, path, options, None, |_| {
            progress()
        })
    };
    let absent_during_load = |conn: &mut registrar::db::DbConn| -> Vec<String> {
        SET_ASIDE
            .into_iter()
            .filter(|name| !deferred::exists(conn, name).unwrap())
            .map(str::to_string)
            .collect()
    };

    // An import stopped after its first batch (as a failing progress store would stop it) still
    // rebuilds what it set aside.
    let mut conn = app.conn();
    let mut watcher = app.conn();
    let mut seen_during = Vec::new();
    let stopped = load(&mut conn, &input, IndexPolicy::SetAside, &mut || {
        seen_during = absent_during_load(&mut watcher);
        Err(AppError::BadRequest("stopped by the test".into()))
    });
    assert!(stopped.is_err());
    assert_eq!(seen_during, SET_ASIDE.to_vec(), "dropped while loading");
    assert!(
        absent_during_load(&mut watcher).is_empty(),
        "rebuilt after a failure"
    );
    assert!(deferred::listed(&mut watcher).unwrap().is_empty());

    // The whole file: every patient stored, the indexes back, and the report says what happened.
    let report = load(&mut conn, &input, IndexPolicy::SetAside, &mut || Ok(())).unwrap();
    assert_eq!(report.patients_read, 2_300);
    assert_eq!(
        report.patients_created + report.patients_unchanged,
        2_300,
        "{report:?}"
    );
    assert_eq!(report.indexes_rebuilt, SET_ASIDE.to_vec());
    assert!(
        import::report_message(&report).contains("5 search index(es) were set aside"),
        "{}",
        import::report_message(&report)
    );
    assert!(absent_during_load(&mut watcher).is_empty());
    drop((conn, watcher));

    // A load killed with its indexes set aside: the next command (any command migrates first)
    // rebuilds them from the list.
    let mut conn = app.conn();
    assert_eq!(
        deferred::defer(&mut conn, &SET_ASIDE).unwrap(),
        SET_ASIDE.to_vec()
    );
    drop(conn);
    run(registrar(&app).arg("migrate"));
    let mut conn = app.conn();
    assert!(absent_during_load(&mut conn).is_empty(), "rebuilt at start");
    assert!(deferred::listed(&mut conn).unwrap().is_empty());

    // A small file against a registry that holds more than it brings keeps its indexes.
    let small = dir.path().join("small.xml");
    write_file(&small, RecordType::I, &demo_patients(10, 90_001));
    let mut watcher = app.conn();
    let mut seen_during = vec!["not looked".to_string()];
    let report = load(&mut conn, &small, IndexPolicy::WhenLarge, &mut || {
        seen_during = absent_during_load(&mut watcher);
        Ok(())
    })
    .unwrap();
    assert_eq!(report.patients_created, 10);
    assert!(seen_during.is_empty(), "{seen_during:?}");
    assert!(report.indexes_rebuilt.is_empty());
}

/// A NAACCR 18 flat I record (4048 characters) from items placed at their dictionary columns.
fn flat_line(items: &[(&str, &str)]) -> String {
    let dictionary = Dictionary::base(NaaccrVersion::V180);
    let mut line = vec![b' '; 4048];
    for (id, value) in items {
        let def = dictionary.item(id).unwrap_or_else(|| panic!("{id}"));
        let start = def.start_column.unwrap() as usize - 1;
        line[start..start + value.len()].copy_from_slice(value.as_bytes());
    }
    String::from_utf8(line).unwrap()
}

#[tokio::test]
async fn a_naaccr_18_flat_file_imports_patients_with_their_tumors() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legacy.txt");
    let common = [
        ("recordType", "I"),
        ("naaccrRecordVersion", "180"),
        ("registryId", "0000012345"),
        ("patientIdNumber", "00000777"),
        ("dateOfBirth", "19500101"),
    ];
    let mut first = common.to_vec();
    first.extend([
        ("tumorRecordNumber", "01"),
        ("primarySite", "C509"),
        ("dateOfDiagnosis", "20170301"),
    ]);
    let mut second = common.to_vec();
    second.extend([
        ("tumorRecordNumber", "02"),
        ("primarySite", "C341"),
        ("dateOfDiagnosis", "20180615"),
    ]);
    let text = format!(
        "{}\n{}\n{}\n",
        flat_line(&first),
        flat_line(&second),
        "too short"
    );
    std::fs::write(&file, text).unwrap();
    let output = registrar(&app).arg("import").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("NAACCR 18 flat file"), "{stdout}");
    assert!(stdout.contains("1 read, 1 created"), "{stdout}");
    assert!(stdout.contains("tumors: 2 created"), "{stdout}");
    let problems = std::fs::read_to_string(dir.path().join("legacy.txt.problems.csv")).unwrap();
    assert!(problems.contains("line skipped"), "{problems}");
    let mut conn = app.conn();
    let facility = app.facility("0000000001");
    let patient =
        registrar::models::submission::patient_by_id_number(&mut conn, facility, "00000777")
            .unwrap()
            .unwrap();
    let tumors = registrar::models::tumor::for_patient(&mut conn, patient.id).unwrap();
    let sites: Vec<_> = tumors
        .iter()
        .map(|t| t.primary_site.clone().unwrap())
        .collect();
    assert_eq!(sites, ["C509", "C341"]);
}

/// Waits until a run or an import leaves queued/running; returns its page.
async fn finished_run(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    for _ in 0..600 {
        let (status, body) = app.get(client, path).await;
        assert_eq!(status, 200, "{body}");
        if !body.contains("<strong>queued</strong>") && !body.contains("<strong>running</strong>") {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the run did not finish");
}

/// Starts a run of the cases diagnosed since 2000 not sent yet or changed, and waits for it:
/// (its address, its page).
async fn changed_cases_run(
    app: &TestApp,
    client: &reqwest::Client,
    profile: i64,
) -> (String, String) {
    let response = app
        .post_form(
            client,
            &format!("/submissions/profiles/{profile}/runs"),
            &[("diagnosed_from", "2000"), ("changed_only", "1")],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let page = finished_run(app, client, &location).await;
    (location, page)
}

fn profile_id(app: &TestApp, name: &str) -> i64 {
    let mut conn = app.conn();
    registrar::services::submissions::ensure_default_profiles(&mut conn).unwrap();
    registrar::models::submission::find_profile_by_name(&mut conn, name)
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn a_submission_run_is_blocked_by_errors_until_an_admin_overrides_with_a_reason() {
    let app = spawn_app().await;
    run(registrar(&app).args(["demo", "--patients", "40", "--seed", "5"]));
    let admin = app.admin_client().await;
    let (status, page) = app.get(&admin, "/submissions").await;
    assert_eq!(status, 200);
    assert!(page.contains("NPCR (CDC)"), "{page}");
    let npcr = profile_id(&app, "NPCR");
    let (_, page) = app
        .get(&admin, &format!("/submissions/profiles/{npcr}"))
        .await;
    assert!(page.contains("Nothing sent with this profile yet"));

    // Demo abstracts lack items NPCR requires (type of reporting source...): the run is blocked.
    let response = app
        .post_form(
            &admin,
            &format!("/submissions/profiles/{npcr}/runs"),
            &[("diagnosed_from", "2000"), ("changed_only", "1")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let page = finished_run(&app, &admin, &location).await;
    assert!(page.contains("<strong>blocked</strong>"), "{page}");
    assert!(
        page.contains("required item typeOfReportingSource is empty"),
        "{page}"
    );
    assert!(!page.contains("Download the file"));

    // A registrar may not override; an admin must give a reason.
    let registrar_client = app
        .client_for(
            "Rita Registrar",
            registrar::auth::Role::Registrar,
            &["0000000001"],
        )
        .await;
    let refused = app
        .post_form(
            &registrar_client,
            &format!("{location}/override"),
            &[("reason", "deadline today, fix later")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    let too_short = app
        .post_form(&admin, &format!("{location}/override"), &[("reason", "ok")])
        .await;
    assert_eq!(too_short.status().as_u16(), 400);
    let accepted = app
        .post_form(
            &admin,
            &format!("{location}/override"),
            &[(
                "reason",
                "State asked for the file today; corrections follow",
            )],
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 303);
    let page = finished_run(&app, &admin, &location).await;
    assert!(page.contains("<strong>complete</strong>"), "{page}");
    assert!(page.contains("State asked for the file today"), "{page}");

    // The file: gzip NAACCR XML of record type I, valid against the schema, every case once.
    let response = admin
        .get(app.url(&format!("{location}/file")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("submission-"), "{disposition}");
    let bytes = response.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("npcr.xml.gz");
    std::fs::write(&file, &bytes).unwrap();
    assert_schema_valid(&file);
    let mut reader = NaaccrXmlReader::new(open_input(&file).unwrap()).unwrap();
    assert_eq!(reader.header().record_type, RecordType::I);
    let mut tumors = 0;
    while let Some(p) = reader.next_patient() {
        tumors += p.unwrap().tumors.len();
    }
    assert!(tumors > 0);
    let (_, profile_page) = app
        .get(&admin, &format!("/submissions/profiles/{npcr}"))
        .await;
    assert!(profile_page.contains("(override)"), "{profile_page}");
    assert!(
        profile_page.contains(&format!("{location}/file")),
        "{profile_page}"
    );

    // Nothing changed since: the next run of changed cases has nothing to send.
    let (_, page) = changed_cases_run(&app, &admin, npcr).await;
    assert!(page.contains("<strong>complete</strong>"), "{page}");
    assert!(page.contains("0 tumors sent"), "{page}");

    // Audited: the override (with its reason) and the download as an export.
    let rows = app.audit_rows();
    assert!(rows.iter().any(|r| {
        r.entity == "submission-run"
            && r.detail
                .as_deref()
                .is_some_and(|d| d.contains("State asked"))
    }));
    assert!(
        rows.iter()
            .any(|r| r.action == "export" && r.entity == "submission-file")
    );

    // A case changed after it was sent is flagged on the profile page, and the timeliness page
    // counts the cases not sent yet against their deadline.
    let (_, profile_page) = app
        .get(&admin, &format!("/submissions/profiles/{npcr}"))
        .await;
    assert!(
        !profile_page.contains("changed since submitted"),
        "{profile_page}"
    );
    {
        use diesel::prelude::*;
        use registrar::db::schema::submitted_tumors;
        let mut conn = app.conn();
        let sent: i64 = submitted_tumors::table
            .select(submitted_tumors::tumor_id)
            .first(&mut *conn)
            .unwrap();
        let mut tumor = registrar::models::tumor::find(&mut conn, sent)
            .unwrap()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        tumor.laterality = Some("9".into());
        registrar::models::tumor::save(&mut conn, &mut tumor).unwrap();
    }
    let (_, profile_page) = app
        .get(&admin, &format!("/submissions/profiles/{npcr}"))
        .await;
    assert!(
        profile_page.contains("1 case(s) changed since submitted: the next run sends them again"),
        "{profile_page}"
    );
    assert!(profile_page.contains("<td>changed since submitted</td>"));
    let (status, timeliness) = app
        .get(&admin, &format!("/submissions/profiles/{npcr}/timeliness"))
        .await;
    assert_eq!(status, 200);
    assert!(timeliness.contains("case(s) not sent yet"), "{timeliness}");
    assert!(
        timeliness.contains("1 changed since submitted"),
        "{timeliness}"
    );
    // The next run of changed cases sends that one case again.
    let (third, _) = changed_cases_run(&app, &admin, npcr).await;
    let third_id: i64 = third.rsplit('/').next().unwrap().parse().unwrap();
    let run = registrar::models::submission::find_run(&mut app.conn(), third_id)
        .unwrap()
        .unwrap();
    assert_eq!(run.cases_total, 1);
}

/// A browser's upload of one file (field `file`) and the facility, CSRF token in the query string.
async fn upload_naaccr(
    app: &TestApp,
    client: &reqwest::Client,
    facility_id: i64,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let token = app.csrf(client).await;
    let boundary = "----registrar-naaccr-boundary-Q2xk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"facility\"\r\n\r\n{facility_id}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .post(app.url(&format!("/submissions/imports?csrf_token={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

fn counts_row(page: &str, row: &str) -> String {
    let start = page
        .find(&format!("<th scope=\"row\">{row}</th>"))
        .unwrap_or_else(|| panic!("no {row} row: {page}"));
    let end = page[start..].find("</tr>").unwrap() + start;
    page[start..end]
        .replace("<td>", " ")
        .replace("</td>", "")
        .replace(&format!("<th scope=\"row\">{row}</th>"), "")
        .trim()
        .to_string()
}

#[tokio::test]
async fn the_upload_page_imports_in_the_background_matches_patients_and_lists_problems() {
    let app = spawn_app().await;
    let client = app
        .client_for(
            "Rita Registrar",
            registrar::auth::Role::Registrar,
            &["0000000001"],
        )
        .await;
    let facility_id = app.facility("0000000001");
    let (status, page) = app.get(&client, "/submissions/imports").await;
    assert_eq!(status, 200);
    assert!(page.contains("Import a NAACCR file"), "{page}");

    // Three good patients and one with an unknown item.
    let dir = tempfile::tempdir().unwrap();
    let source = demo_patients(4, 1);
    let first = dir.path().join("first.xml");
    write_file(&first, RecordType::A, &source);
    let xml = std::fs::read_to_string(&first).unwrap();
    let marker = "<Item naaccrId=\"patientIdNumber\">00000004</Item>";
    assert!(xml.contains(marker));
    let xml = xml.replacen(
        marker,
        &format!("{marker}<Item naaccrId=\"noSuchItem\">1</Item>"),
        1,
    );
    let response = upload_naaccr(&app, &client, facility_id, "first.xml", xml.as_bytes()).await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let page = finished_run(&app, &client, &location).await;
    assert!(page.contains("<strong>complete</strong>"), "{page}");
    assert!(page.contains("4 patients and"), "{page}");
    let tumors: usize = source[..3].iter().map(|p| p.tumors.len()).sum();
    assert_eq!(counts_row(&page, "Patients"), "3 0 1", "{page}");
    assert_eq!(counts_row(&page, "Tumors"), format!("{tumors} 0"), "{page}");
    assert!(page.contains("noSuchItem"), "{page}");
    assert!(page.contains("patient rejected"), "{page}");
    let (status, csv) = app.get(&client, &format!("{location}/problems.csv")).await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("line,patient,tumor,patientIdNumber,item,problem,outcome"),
        "{csv}"
    );
    assert!(
        csv.contains(",4,,00000004,noSuchItem,unknown item"),
        "{csv}"
    );

    // The same people under other Patient ID Numbers: patient 1 keeps its SSN and date of birth,
    // patient 2 has no SSN but the same name, date of birth and sex.
    let mut by_ssn = source[0].clone();
    by_ssn
        .items
        .insert("patientIdNumber".into(), "77000001".into());
    let mut by_name = source[1].clone();
    by_name
        .items
        .insert("patientIdNumber".into(), "77000002".into());
    by_name.items.remove("socialSecurityNumber");
    let second = dir.path().join("second.xml.gz");
    write_file(&second, RecordType::A, &[by_ssn, by_name]);
    let bytes = std::fs::read(&second).unwrap();
    let response = upload_naaccr(&app, &client, facility_id, "second.xml.gz", &bytes).await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let page = finished_run(&app, &client, &location).await;
    assert!(page.contains("<strong>complete</strong>"), "{page}");
    assert!(
        page.contains(
            "existing patients found: 0 by Patient ID Number, 1 by same SSN and date of birth, \
             1 by same name, date of birth and sex"
        ),
        "{page}"
    );
    assert!(page.contains("(Patient ID Number 77000001) linked to registry patient"));
    assert!(page.contains("same name, date of birth and sex (match score"));
    // No new patient: the two are the stored ones, updated.
    let mut conn = app.conn();
    assert_eq!(registrar::models::patient::count(&mut conn).unwrap(), 3);
    drop(conn);
    let updated = app
        .audit_rows()
        .into_iter()
        .filter(|r| {
            r.action == "import"
                && r.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("matched by same SSN and date of birth"))
        })
        .count();
    assert_eq!(updated, 1);

    // A reviewer may not import.
    let reviewer = app
        .client_for(
            "Rob Reviewer",
            registrar::auth::Role::Reviewer,
            &["0000000001"],
        )
        .await;
    let (status, _) = app.get(&reviewer, "/submissions/imports").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn significant_spaces_of_npcr_specific_field_survive_import_and_export() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut patient = of_record_type(&demo_patients(1, 1)[0], RecordType::I);
    let spaced = "  AB  12 ";
    patient.tumors[0]
        .items
        .insert("npcrSpecificField".into(), spaced.into());
    let input = dir.path().join("v18.xml");
    let mut options = WriterOptions::new(NaaccrVersion::V180, RecordType::I);
    options.user_dictionaries =
        vec![registrar::domain::naaccr::UserDictionary::default_flat_v18().clone()];
    let mut writer = NaaccrXmlWriter::new(create_output(&input).unwrap(), options, &[]).unwrap();
    // The 260 item ids of the demo that 180 does not know are left out of this file.
    let dictionary = Dictionary::base(NaaccrVersion::V180);
    let user = registrar::domain::naaccr::UserDictionary::default_flat_v18();
    let known = |items: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        items
            .iter()
            .filter(|(k, _)| dictionary.item(k).is_some() || user.item(k).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let patient = NaaccrPatient {
        items: known(&patient.items),
        tumors: patient
            .tumors
            .iter()
            .map(|t| NaaccrTumor {
                items: known(&t.items),
            })
            .collect(),
    };
    writer.write_patient(&patient).unwrap();
    writer.finish().unwrap().finish().unwrap();
    let out = run(registrar(&app)
        .arg("import")
        .arg(&input)
        .args(["--facility", "SPACES"]));
    assert!(out.contains("1 created"), "{out}");
    assert!(out.contains("0 rejected"), "{out}");

    let exported = dir.path().join("back.xml");
    let out = run(registrar(&app)
        .args([
            "export",
            "--profile",
            "NPCR",
            "--naaccr-version",
            "180",
            "--out",
        ])
        .arg(&exported));
    assert!(out.contains("1 patients"), "{out}");
    assert_schema_valid(&exported);
    let (back, _) = read_all(&exported);
    assert_eq!(
        back[0].tumors[0]
            .items
            .get("npcrSpecificField")
            .map(String::as_str),
        Some(spaced)
    );
    // Every other item of the file comes back as it was sent.
    let (sent, _) = read_all(&input);
    assert_eq!(back[0].tumors[0].items, sent[0].tumors[0].items);
}

/// The profile form's fields in order: registry ID, record type, version, user dictionary,
/// required items, edit set, due months, schedule.
fn profile_fields(values: [&str; 8]) -> Vec<(&'static str, &str)> {
    [
        "registry_id",
        "record_type",
        "naaccr_version",
        "user_dictionary",
        "required_items",
        "edit_set",
        "deadline_months",
        "schedule",
    ]
    .into_iter()
    .zip(values)
    .collect()
}

#[tokio::test]
async fn an_admin_edits_every_setting_of_a_profile_validated_and_audited() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let state = profile_id(&app, "State central registry");
    let edit = format!("/submissions/profiles/{state}/edit");
    let (status, page) = app.get(&admin, &edit).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Edit profile: State central registry"),
        "{page}"
    );
    let registrar_client = app
        .client_for(
            "Rita Registrar",
            registrar::auth::Role::Registrar,
            &["0000000001"],
        )
        .await;
    let (status, _) = app.get(&registrar_client, &edit).await;
    assert_eq!(status, 403);
    let refused = app
        .post_form(&registrar_client, &edit, &[("record_type", "M")])
        .await;
    assert_eq!(refused.status().as_u16(), 403);

    // Invalid values: every problem is named, nothing is saved.
    let response = app
        .post_form(
            &admin,
            &edit,
            &profile_fields([
                "12AB",
                "X",
                "260",
                "<not a dictionary",
                "primarySite, noSuchItem",
                "incidence",
                "0",
                "monthly",
            ]),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    for message in [
        "Registry ID: up to 10 digits",
        "Record type: choose I, C, A or M",
        "User dictionary:",
        "Due: a number of months from 1 to 60",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(
        !page.contains("noSuchItem, "),
        "only the unknown item is named"
    );

    let response = app
        .post_form(
            &admin,
            &edit,
            &profile_fields([
                "0000012345",
                "M",
                "250",
                "",
                "primarySite,dateOfDiagnosis,noSuchItem",
                "all",
                "9",
                "weekly",
            ]),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Required items not in the NAACCR 250 dictionary: noSuchItem"),
        "{page}"
    );

    let response = app
        .post_form(
            &admin,
            &edit,
            &[
                ("registry_id", "0000012345"),
                ("record_type", "M"),
                ("naaccr_version", "250"),
                ("user_dictionary", ""),
                (
                    "required_items",
                    "primarySite, dateOfDiagnosis\nhistologicTypeIcdO3",
                ),
                ("edit_set", "all"),
                ("deadline_months", "9"),
                ("schedule", "weekly, on Mondays"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = app
        .get(&admin, &format!("/submissions/profiles/{state}"))
        .await;
    assert!(page.contains("<dd>0000012345</dd>"), "{page}");
    assert!(
        page.contains("M – modified (correction) abstract"),
        "{page}"
    );
    assert!(page.contains("<dd>250</dd>"), "{page}");
    assert!(page.contains("<dd>all</dd>"), "{page}");
    assert!(
        page.contains("9 months after diagnosis (weekly, on Mondays)"),
        "{page}"
    );
    assert!(
        page.contains("<dd>primarySite, dateOfDiagnosis, histologicTypeIcdO3</dd>"),
        "{page}"
    );
    let event = app
        .audit_rows()
        .into_iter()
        .find(|r| r.entity == "submission-profile" && r.action == "update")
        .expect("audited");
    let changes = event.changes.unwrap_or_default();
    for field in [
        "registry_id",
        "record_type",
        "naaccr_version",
        "deadline_months",
        "schedule",
    ] {
        assert!(changes.contains(field), "{field}: {changes}");
    }
}
