//! Engine tests on the published algorithm zips (../shared/staging).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::*;

/// Current year used by the tests, so results do not change with the calendar.
pub(crate) const TEST_YEAR: i32 = 2026;

fn zip_path(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../shared/staging/eod_public-{version}.zip"))
}

fn load(version: &str) -> Algorithm {
    let path = zip_path(version);
    assert!(
        path.exists(),
        "staging algorithm zip {} is missing: the staging tests need ../shared/staging",
        path.display()
    );
    load_algorithm(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
}

pub(crate) fn v33() -> &'static Algorithm {
    static ALG: OnceLock<Algorithm> = OnceLock::new();
    ALG.get_or_init(|| load("3.3"))
}

pub(crate) fn v32() -> &'static Algorithm {
    static ALG: OnceLock<Algorithm> = OnceLock::new();
    ALG.get_or_init(|| load("3.2"))
}

fn algorithm(version: &str) -> &'static Algorithm {
    match version {
        "3.2" => v32(),
        _ => v33(),
    }
}

fn inputs_of(pairs: &[(&str, &str)]) -> StagingInputs {
    pairs.iter().copied().collect()
}

#[test]
fn hand_worked_cases() {
    use super::cases::CASES;
    let mut failures = Vec::new();
    let mut schemas = std::collections::BTreeSet::new();
    for case in CASES {
        let alg = algorithm(case.version);
        let result = alg.stage_in_year(&inputs_of(case.inputs), TEST_YEAR);
        let mut problems = Vec::new();
        if result.status.as_str() != case.status {
            problems.push(format!(
                "status {} (expected {})",
                result.status.as_str(),
                case.status
            ));
        }
        let schema = result.schema.as_ref().map(|s| s.id.as_str());
        if schema != case.schema {
            problems.push(format!("schema {schema:?} (expected {:?})", case.schema));
        }
        if let Some(s) = case.schema {
            schemas.insert(s);
        }
        for (id, expected) in case.outputs {
            let got = result.output(id);
            let ok = if expected.is_empty() {
                got.is_none()
            } else {
                got == Some(*expected)
            };
            if !ok {
                problems.push(format!("{id} = {got:?} (expected {expected:?})"));
            }
        }
        for (kind, named) in case.errors {
            let found = result.errors.iter().any(|e| {
                e.kind.as_str() == *kind
                    && (e.key.as_deref() == Some(*named) || e.table.as_deref() == Some(*named))
            });
            if !found {
                problems.push(format!("missing error {kind} naming {named}"));
            }
        }
        if case.errors.is_empty() && !result.errors.is_empty() {
            problems.push(format!("unexpected errors {:?}", result.errors));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} [{}]: {}\n    {}",
                case.name,
                case.version,
                problems.join("; "),
                result.to_json()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 40, "at least 40 cases, have {}", CASES.len());
    assert!(schemas.len() >= 12, "at least 12 schemas, have {schemas:?}");
}

#[test]
fn ambiguous_selection_names_the_discriminator_and_its_codes() {
    let inputs = StagingInputs::new()
        .with("primarySite", "C111")
        .with("histologicTypeIcdO3", "8200")
        .with("dateOfDiagnosis", "20220101");
    let SchemaSelection::Ambiguous { candidates, needed } = v33().select_schema(&inputs) else {
        panic!("C111/8200 without discriminator must be ambiguous");
    };
    let mut ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "nasopharynx",
            "oropharynx_hpv_mediated_p16_pos",
            "oropharynx_p16_neg"
        ]
    );
    let needed = needed.expect("a discriminator is needed");
    assert_eq!(needed.key, "discriminator_1");
    assert_eq!(
        needed.naaccr_xml_id.as_deref(),
        Some("schemaDiscriminator1")
    );
    // Code 1 (posterior wall of nasopharynx) selects nasopharynx; code 2 (adenoid) still
    // leaves the two oropharynx schemas, which discriminator 2 separates.
    let one = needed
        .options
        .iter()
        .find(|o| o.code == "1")
        .expect("code 1");
    assert_eq!(
        one.schema.as_ref().map(|s| s.id.as_str()),
        Some("nasopharynx")
    );
    assert!(!one.description.is_empty());
    let two = needed
        .options
        .iter()
        .find(|o| o.code == "2")
        .expect("code 2");
    assert_eq!(two.schema, None);
}

#[test]
fn missing_year_makes_lung_ambiguous_between_editions() {
    let inputs = StagingInputs::new()
        .with("primarySite", "C341")
        .with("histologicTypeIcdO3", "8140");
    let alg = v33();
    let result = alg.stage_in_year(&inputs, TEST_YEAR);
    assert_eq!(result.status, StagingStatus::AmbiguousSchema);
    let needed = result.needed_discriminator.expect("year needed");
    assert_eq!(needed.naaccr_xml_id.as_deref(), Some("dateOfDiagnosis"));
    let schema_of = |code: &str| {
        needed
            .options
            .iter()
            .find(|o| o.code == code)
            .and_then(|o| o.schema.as_ref().map(|s| s.id.clone()))
    };
    // lung selects 2018-2024, lung_v9_2025 2025-9998 and 9999.
    assert_eq!(schema_of("2018").as_deref(), Some("lung"));
    assert_eq!(schema_of("2024").as_deref(), Some("lung"));
    assert_eq!(schema_of("2025").as_deref(), Some("lung_v9_2025"));
}

#[test]
fn sex_selects_between_retroperitoneum_and_peritoneum() {
    // C481 8720: retroperitoneum for males, peritoneum also possible for females; 3.3 reads
    // sexAssignedAtBirth, 3.2 reads the retired v25 item `sex` and accepts the v26 item.
    for alg in [v33(), v32()] {
        let base = StagingInputs::new()
            .with("primarySite", "C481")
            .with("histologicTypeIcdO3", "8720")
            .with("dateOfDiagnosis", "20220101");
        assert!(
            matches!(alg.select_schema(&base), SchemaSelection::Ambiguous { .. }),
            "{} without sex",
            alg.version()
        );
        let male = base.clone().with("sexAssignedAtBirth", "1");
        match alg.select_schema(&male) {
            SchemaSelection::Selected(s) => assert_eq!(s.id, "retroperitoneum"),
            other => panic!("{}: {other:?}", alg.version()),
        }
        let staged = alg.stage_in_year(&male, TEST_YEAR);
        assert_eq!(staged.status, StagingStatus::Staged, "{:?}", staged.errors);
    }
}

#[test]
fn pick_lists_come_from_the_input_tables() {
    let inputs = v33().schema_inputs("breast").expect("breast");
    let eod = inputs
        .iter()
        .find(|i| i.naaccr_xml_id.as_deref() == Some("eodPrimaryTumor"))
        .expect("EOD primary tumor input");
    assert_eq!(eod.key, "eod_primary_tumor");
    assert_eq!(eod.naaccr_item, Some(772));
    assert!(eod.used_for_staging);
    assert_eq!(eod.default.as_deref(), Some("999"));
    assert_eq!(eod.table_id.as_deref(), Some("extension_bak"));
    let codes: Vec<&str> = eod.codes.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "000", "050", "070", "100", "200", "300", "400", "450", "500", "600", "700", "800",
            "999"
        ]
    );
    assert!(eod.codes[0].1.starts_with("In situ"));
    let er = inputs.iter().find(|i| i.key == "er").expect("ER");
    assert!(!er.used_for_staging);
    assert!(matches!(
        v33().schema_inputs("no_such_schema"),
        Err(StagingError::UnknownSchema(_))
    ));
}

#[test]
fn single_values_are_validated_against_the_schema_tables() {
    let alg = v33();
    assert_eq!(
        alg.validate_input("breast", "eodPrimaryTumor", "100"),
        Ok(())
    );
    assert_eq!(
        alg.validate_input("breast", "eod_primary_tumor", " 999 "),
        Ok(())
    );
    let err = alg
        .validate_input("breast", "eodPrimaryTumor", "123")
        .unwrap_err();
    assert!(
        err.contains("EOD Primary Tumor") && err.contains("extension_bak"),
        "{err}"
    );
    // Tumor size 001-988 is a numeric range.
    assert_eq!(
        alg.validate_input("breast", "tumorSizeSummary", "025"),
        Ok(())
    );
    assert!(
        alg.validate_input("breast", "tumorSizeSummary", "98X")
            .is_err()
    );
    // Year of diagnosis comes from the NAACCR date.
    assert_eq!(
        alg.validate_input("breast", "dateOfDiagnosis", "20230615"),
        Ok(())
    );
    assert!(
        alg.validate_input("breast", "dateOfDiagnosis", "20170615")
            .is_err()
    );
    assert!(alg.validate_input("breast", "psaLabValue", "1.0").is_err());
    assert!(alg.validate_input("nope", "eodMets", "00").is_err());
}

#[test]
fn result_json_is_the_cli_object() {
    let inputs = StagingInputs::new()
        .with("primarySite", "C504")
        .with("histologicTypeIcdO3", "8500")
        .with("behaviorCodeIcdO3", "3")
        .with("dateOfDiagnosis", "20220315")
        .with("eodPrimaryTumor", "100")
        .with("eodRegionalNodes", "000")
        .with("eodMets", "00")
        .with("gradeClinical", "2")
        .with("gradePathological", "3");
    let json = v33().stage_in_year(&inputs, TEST_YEAR).to_json();
    assert_eq!(
        json,
        serde_json::json!({
            "status": "staged",
            "schemaId": "00480",
            "schemaName": "Breast",
            "derivedSummaryStage2018": "1",
            "derivedSummaryGrade2018": "3",
            "algorithmVersion": "3.3",
            "errors": []
        })
    );
    let none = v33().stage_in_year(&StagingInputs::new().with("primarySite", "C504"), TEST_YEAR);
    let json = none.to_json();
    assert_eq!(json["status"], "no schema");
    assert_eq!(json["schemaId"], serde_json::Value::Null);
    assert_eq!(json["errors"][0]["type"], "MISSING_SITE_OR_HISTOLOGY");
}

#[test]
fn algorithm_identity_and_content() {
    assert_eq!(v33().algorithm_name(), "eod_public");
    assert_eq!(v33().version(), "3.3");
    assert_eq!(v33().schemas().len(), 141);
    assert_eq!(v33().table_count(), 1059);
    assert_eq!(v33().glossary_count(), 1);
    assert_eq!(v32().version(), "3.2");
    assert_eq!(v32().schemas().len(), 139);
    assert_eq!(v32().table_count(), 1418);
    assert!(v33().warnings().is_empty(), "{:?}", v33().warnings());
    assert!(v33().load_time() > std::time::Duration::ZERO);
    let breast = v33().schema("breast").expect("breast");
    assert_eq!(breast.naaccr_schema_id.as_deref(), Some("00480"));
}

#[test]
fn loads_from_any_reader() {
    let bytes = std::fs::read(zip_path("3.3")).expect("zip readable");
    let alg = load_algorithm_from_reader(std::io::Cursor::new(bytes)).expect("loads");
    assert_eq!(alg.version(), "3.3");
}

/// A zip in memory with the given (name, content) entries, stored uncompressed.
fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("entry");
        writer.write_all(content.as_bytes()).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

const SITE_TABLE: &str =
    r#"{"id":"primary_site","definition":[{"key":"site","type":"INPUT"}],"rows":[["C000-C009"]]}"#;
const HIST_TABLE: &str =
    r#"{"id":"histology","definition":[{"key":"hist","type":"INPUT"}],"rows":[["8000-8001"]]}"#;

#[test]
fn loading_reports_what_is_wrong() {
    let not_zip = load_algorithm_from_reader(std::io::Cursor::new(b"not a zip".to_vec()));
    assert!(matches!(not_zip, Err(StagingError::NotAZip(_))));

    let empty = load_algorithm_from_reader(std::io::Cursor::new(zip_of(&[("readme.txt", "x")])));
    assert!(matches!(empty, Err(StagingError::NoSchemas)));

    let bad_json = zip_of(&[("schemas/a.json", "{")]);
    match load_algorithm_from_reader(std::io::Cursor::new(bad_json)) {
        Err(StagingError::Json { entry, .. }) => assert_eq!(entry, "schemas/a.json"),
        other => panic!("{other:?}"),
    }

    let schema = r#"{"id":"a","algorithm":"test","version":"1.0","schema_selection_table":"sel_a",
        "inputs":[{"key":"site","table":"primary_site"},{"key":"eod","table":"missing_table"}],
        "outputs":[{"key":"out"}],
        "mappings":[{"id":"m","tables":[{"id":"t1"}]}]}"#;
    let sel = r#"{"id":"sel_a","definition":[{"key":"site","type":"INPUT"},{"key":"r","type":"ENDPOINT"}],"rows":[["C000","MATCH"]]}"#;
    let t1 = r#"{"id":"t1","definition":[{"key":"eod","type":"INPUT"},{"key":"out","type":"ENDPOINT"}],
        "rows":[["1","JUMP:nowhere"],["2","VALUE:x","extra"],["3","SOMETIMES:x"]]}"#;
    let bytes = zip_of(&[
        ("schemas/a.json", schema),
        ("tables/sel_a.json", sel),
        ("tables/t1.json", t1),
        ("tables/primary_site.json", SITE_TABLE),
        ("tables/histology.json", HIST_TABLE),
    ]);
    match load_algorithm_from_reader(std::io::Cursor::new(bytes)) {
        Err(StagingError::InvalidAlgorithm { problems }) => {
            let all = problems.join("\n");
            assert!(all.contains("unknown table 'missing_table'"), "{all}");
            assert!(all.contains("JUMP to unknown table 'nowhere'"), "{all}");
            assert!(
                all.contains("row 2 has 3 values but the table has 2 columns"),
                "{all}"
            );
            assert!(all.contains("invalid endpoint 'SOMETIMES:x'"), "{all}");
            assert_eq!(problems.len(), 4, "{all}");
        }
        other => panic!("expected InvalidAlgorithm, got {other:?}"),
    }
}

#[test]
fn stop_endpoints_inclusions_and_loops_on_a_small_algorithm() {
    // A synthetic algorithm exercising what the EOD data does not: STOP, an exclusion table,
    // mapped keys, a default table and a JUMP loop.
    let schema = r#"{"id":"s","algorithm":"test","version":"1.0","name":"S","schema_selection_table":"sel",
        "inputs":[{"key":"site","table":"primary_site","naaccr_item":400},
                  {"key":"hist","table":"histology","naaccr_item":522},
                  {"key":"year_dx","naaccr_item":390},
                  {"key":"code","default_table":"code_default"},
                  {"key":"flag"}],
        "outputs":[{"key":"result","default":"none"},{"key":"second","default":"-"}],
        "mappings":[
          {"id":"first","exclusion_tables":[{"id":"excl","input_mapping":[{"from":"flag","to":"f"}]}],
           "tables":[{"id":"step","output_mapping":[{"from":"v","to":"result"}]},{"id":"after"}]},
          {"id":"loop","inclusion_tables":[{"id":"incl"}],"tables":[{"id":"ping"}]}]}"#;
    let tables = [
        r#"{"id":"sel","definition":[{"key":"site","type":"INPUT"},{"key":"hist","type":"INPUT"},{"key":"r","type":"ENDPOINT"}],"rows":[["C000-C009","*","MATCH"]]}"#,
        r#"{"id":"code_default","definition":[{"key":"hist","type":"INPUT"},{"key":"code","type":"ENDPOINT"}],"rows":[["8000","VALUE:A"],["*","VALUE:B"]]}"#,
        r#"{"id":"excl","definition":[{"key":"f","type":"INPUT"}],"rows":[["Y"]]}"#,
        r#"{"id":"step","definition":[{"key":"code","type":"INPUT"},{"key":"v","type":"ENDPOINT"},{"key":"stop","type":"ENDPOINT"}],"rows":[["A","VALUE:from-{{code}}","STOP"],["B","VALUE:{{code}}","MATCH"]]}"#,
        r#"{"id":"after","definition":[{"key":"code","type":"INPUT"},{"key":"second","type":"ENDPOINT"}],"rows":[["*","VALUE:ran"]]}"#,
        r#"{"id":"incl","definition":[{"key":"flag","type":"INPUT"}],"rows":[["L"]]}"#,
        r#"{"id":"ping","definition":[{"key":"flag","type":"INPUT"},{"key":"j","type":"ENDPOINT"}],"rows":[["*","JUMP:pong"]]}"#,
        r#"{"id":"pong","definition":[{"key":"flag","type":"INPUT"},{"key":"j","type":"ENDPOINT"}],"rows":[["*","JUMP:ping"]]}"#,
        SITE_TABLE,
        HIST_TABLE,
    ];
    let mut entries: Vec<(String, &str)> = vec![("schemas/s.json".to_string(), schema)];
    for (i, t) in tables.iter().enumerate() {
        entries.push((format!("tables/t{i}.json"), t));
    }
    let refs: Vec<(&str, &str)> = entries.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    let alg = load_algorithm_from_reader(std::io::Cursor::new(zip_of(&refs))).expect("loads");
    let stage = |hist: &str, flag: Option<&str>| {
        let mut inputs = StagingInputs::new()
            .with("primarySite", "C001")
            .with("histologicTypeIcdO3", hist);
        if let Some(f) = flag {
            inputs.set("flag", f);
        }
        alg.stage_in_year(&inputs, TEST_YEAR)
    };
    // hist 8000: default table gives code A; "{{code}}" inside a longer literal is not a
    // reference; STOP ends the mapping before `after`.
    let a = stage("8000", None);
    assert_eq!(a.output("result"), Some("from-{{code}}"));
    assert_eq!(a.output("second"), Some("-"));
    // hist 8001: code B; the value is the reference {{code}}; `after` runs.
    let b = stage("8001", None);
    assert_eq!(b.output("result"), Some("B"));
    assert_eq!(b.output("second"), Some("ran"));
    // flag Y (mapped to f) matches the exclusion table: the mapping is skipped.
    let excluded = stage("8001", Some("Y"));
    assert_eq!(excluded.output("result"), Some("none"));
    // flag L includes the looping mapping: reported, not hung.
    let looped = stage("8001", Some("L"));
    assert_eq!(looped.status, StagingStatus::Error);
    assert!(
        looped
            .errors
            .iter()
            .any(|e| e.kind == StagingErrorKind::InfiniteLoop)
    );
}
