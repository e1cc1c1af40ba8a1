//! Staging: the `registrar stage` and `registrar staging install` commands on the published
//! eod_public 3.3 and 3.2 zips, the stage page of a tumor (pick lists, preview, save, roles,
//! no algorithm), the re-derivation after a version change, and the page in a real browser.
//!
//! Expected values are worked out from the published tables (breast, schema 00480):
//! - `extension_bak`: EOD Primary Tumor 100 "confined to breast tissue" → ss2018_t L;
//!   200 "invasion of pectoral fascia/subcutaneous tissue" → RE.
//! - `nodes_daj`: EOD Regional Nodes 000 → NONE; 200 "positive axillary level I/II" → RN.
//! - `mets_hau`: EOD Mets 00 → NONE.
//! - `summary_stage_rpa`: L+NONE+NONE → 1; L+RN → 3; RE+RN → 4.
//! - 3.2 only: Tumor Size Summary 025 mm is in T2 (> 20 mm, ≤ 50 mm), so Derived EOD 2018 T is T2;
//!   3.3 derives no T/N/M/stage group at all.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use diesel::prelude::*;
use registrar::auth::Role;
use registrar::db::schema::{staging_algorithms, tumor_stagings};
use registrar::models::tumor;

use crate::common::{TestApp, browser, patient_fields, spawn_app, spawn_app_with};

fn zip(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/staging")
        .join(format!("eod_public-{version}.zip"))
}

fn registrar(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registrar"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("REGISTRAR_DATA_DIR", app.settings.data_dir.as_os_str())
        .env("REGISTRAR_LOG", "warn");
    cmd
}

/// Runs `registrar stage` and returns (exit code, parsed JSON or Null, stderr).
fn stage(app: &TestApp, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut cmd = registrar(app);
    cmd.arg("stage");
    for a in args {
        if a.starts_with("--") {
            cmd.arg(a);
        } else if a.contains('=') {
            cmd.args(["--item", a]);
        } else {
            cmd.arg(a);
        }
    }
    let output = cmd.output().expect("registrar runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

const BREAST: &[&str] = &[
    "primarySite=C504",
    "histologicTypeIcdO3=8500",
    "behaviorCodeIcdO3=3",
    "dateOfDiagnosis=20230315",
    "eodPrimaryTumor=100",
    "eodRegionalNodes=200",
    "eodMets=00",
    "tumorSizeSummary=025",
    "gradeClinical=2",
];

#[tokio::test]
async fn stage_command_prints_one_json_object_with_either_algorithm() {
    let app = spawn_app().await;
    let v33 = zip("3.3");
    let v32 = zip("3.2");
    let alg33 = v33.to_str().unwrap();
    let alg32 = v32.to_str().unwrap();

    // Breast, L + RN → 3. Grade clinical 2 with no pathological grade → derived grade 2.
    let mut args = vec!["--algorithm", alg33];
    args.extend_from_slice(BREAST);
    let (code, json, err) = stage(&app, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["status"], "staged");
    assert_eq!(json["schemaId"], "00480");
    assert_eq!(json["schemaName"], "Breast");
    assert_eq!(json["derivedSummaryStage2018"], "3");
    assert_eq!(json["derivedSummaryGrade2018"], "2");
    assert_eq!(json["algorithmVersion"], "3.3");
    assert_eq!(json["errors"], serde_json::json!([]));
    assert!(json.get("derivedEod2018T").is_none(), "3.3 derives no T");

    // The same case with 3.2: the same SS2018, plus EOD T2 from the 25 mm size.
    let mut args = vec!["--algorithm", alg32];
    args.extend_from_slice(BREAST);
    let (code, json, _) = stage(&app, &args);
    assert_eq!(code, 0);
    assert_eq!(json["derivedSummaryStage2018"], "3");
    assert_eq!(json["derivedEod2018T"], "T2");
    assert_eq!(json["algorithmVersion"], "3.2");

    // RE + RN → 4.
    let (_, json, _) = stage(
        &app,
        &[
            "--algorithm",
            alg33,
            "primarySite=C504",
            "histologicTypeIcdO3=8500",
            "behaviorCodeIcdO3=3",
            "dateOfDiagnosis=2023",
            "eodPrimaryTumor=200",
            "eodRegionalNodes=200",
            "eodMets=00",
        ],
    );
    assert_eq!(json["derivedSummaryStage2018"], "4");

    // Nasopharynx C111 / 8200: several schemas match; the discriminator is asked for.
    let (code, json, _) = stage(
        &app,
        &[
            "--algorithm",
            alg33,
            "primarySite=C111",
            "histologicTypeIcdO3=8200",
            "dateOfDiagnosis=2022",
        ],
    );
    assert_eq!(code, 0, "an ambiguous result is still a result");
    assert_eq!(json["status"], "ambiguous schema");
    assert_eq!(json["errors"][0]["type"], "MULTIPLE_MATCHING_SCHEMAS");
    assert_eq!(json["errors"][0]["key"], "schemaDiscriminator1");

    // No schema for an invalid site: printed, exit 0.
    let (code, json, _) = stage(
        &app,
        &[
            "--algorithm",
            alg33,
            "primarySite=C999",
            "histologicTypeIcdO3=8140",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(json["status"], "no schema");
    assert!(json["schemaId"].is_null());

    // Usage and algorithm errors: non-zero, nothing on standard output.
    let (code, json, err) = stage(&app, &["--item", "primarySite"]);
    assert_ne!(code, 0);
    assert!(json.is_null());
    assert!(err.contains("NAACCRID=VALUE"), "{err}");
    let (code, _, err) = stage(
        &app,
        &["--algorithm", "/nonexistent.zip", "primarySite=C504"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("nonexistent.zip"), "{err}");
    let (code, _, err) = stage(&app, &["primarySite=C504"]);
    assert_ne!(code, 0, "no algorithm installed");
    assert!(err.contains("registrar staging install"), "{err}");
}

#[tokio::test]
async fn staging_install_validates_the_zip_and_makes_it_current() {
    let app = spawn_app().await;
    // Not an algorithm: refused, nothing recorded.
    let bogus = app.settings.data_dir.join("bogus.zip");
    std::fs::create_dir_all(&app.settings.data_dir).unwrap();
    std::fs::write(&bogus, b"not a zip").unwrap();
    let output = registrar(&app)
        .args(["staging", "install", bogus.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let count: i64 = staging_algorithms::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(count, 0);

    for version in ["3.2", "3.3"] {
        let output = registrar(&app)
            .args(["staging", "install", zip(version).to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("installed eod_public {version}")),
            "{stdout}"
        );
        assert!(stdout.contains("sha256: "), "{stdout}");
    }
    let rows: Vec<(String, bool, String)> = staging_algorithms::table
        .order(staging_algorithms::id.asc())
        .select((
            staging_algorithms::version,
            staging_algorithms::is_current,
            staging_algorithms::file_name,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("3.2", false));
    assert_eq!((rows[1].0.as_str(), rows[1].1), ("3.3", true));
    assert!(
        app.settings
            .data_dir
            .join("staging")
            .join(&rows[1].2)
            .is_file()
    );

    // `stage` without --algorithm uses the installed one.
    let (code, json, err) = stage(&app, BREAST);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["algorithmVersion"], "3.3");
    assert_eq!(json["derivedSummaryStage2018"], "3");
}

/// Creates a patient and one tumor through the pages; returns (patient id, tumor id).
async fn case(
    app: &TestApp,
    c: &reqwest::Client,
    last: &str,
    tumor: &[(&str, &str)],
) -> (i64, i64) {
    let f = app.facility("0000000001");
    let patient = app.create_patient(c, f, &patient_fields(last, "Pat")).await;
    let response = app
        .post_form(c, &format!("/patients/{patient}/tumors"), tumor)
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let tumors = tumor::for_patient(&mut app.conn(), patient).unwrap();
    (patient, tumors.last().unwrap().id)
}

const BREAST_TUMOR: &[(&str, &str)] = &[
    ("dateOfDiagnosis", "2023-03-15"),
    ("primarySite", "C50.4"),
    ("laterality", "2"),
    ("histologicTypeIcdO3", "8500"),
    ("behaviorCodeIcdO3", "3"),
    ("classOfCase", "10"),
];

fn stage_form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("primarySite", "C504"),
        ("histologicTypeIcdO3", "8500"),
        ("behaviorCodeIcdO3", "3"),
        ("dateOfDiagnosis", "20230315"),
        ("sexAssignedAtBirth", "2"),
    ];
    form.extend_from_slice(extra);
    form
}

async fn spawn_with(version: &str) -> TestApp {
    let path = zip(version).display().to_string();
    spawn_app_with(move |s| s.staging_algorithm = path).await
}

#[tokio::test]
async fn the_stage_page_offers_the_schemas_pick_lists_previews_and_saves_derived_values() {
    let app = spawn_with("3.3").await;
    let c = app.admin_client().await;
    let (_, id) = case(&app, &c, "Stager", BREAST_TUMOR).await;

    let (status, page) = app.get(&c, &format!("/tumors/{id}/stage")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Breast") && page.contains("Schema ID 00480"),
        "{page}"
    );
    assert!(page.contains("eod_public 3.3"));
    assert!(
        page.contains("<select id=\"f-eodPrimaryTumor\""),
        "EOD primary tumor is a pick list"
    );
    assert!(
        page.contains("<option value=\"100\">100 – Any size tumor"),
        "codes with their descriptions from extension_bak"
    );
    assert!(page.contains("id=\"f-gradeClinical\""));
    assert!(
        page.contains("id=\"f-estrogenReceptorSummary\""),
        "the schema's SSDIs"
    );
    assert!(page.contains("id=\"f-ajccTnmClinT\""), "AJCC TNM fields");

    // The preview stages what is typed and answers JSON.
    let token = app.csrf(&c).await;
    let response = c
        .post(app.url(&format!("/tumors/{id}/stage/preview")))
        .header("X-CSRF-Token", &token)
        .form(&stage_form(&[
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "200"),
            ("eodMets", "00"),
            ("eodMets", "00"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["status"], "staged");
    assert_eq!(json["derivedSummaryStage2018"], "3");
    assert_eq!(json["schemaId"], "00480");
    assert_eq!(json["schemaKey"], "breast");
    assert!(
        json["shown"]["derivedSummaryStage2018"]
            .as_str()
            .unwrap()
            .starts_with('3')
    );

    // An invalid code of the schema and a malformed AJCC T: refused, each named.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{id}/stage"),
            &[
                ("action", "save"),
                ("eodPrimaryTumor", "100"),
                ("eodRegionalNodes", "200"),
                ("eodMets", "55"),
                ("ajccTnmClinT", "T1"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("&#39;55&#39; is not a valid code for EOD Mets")
            || page.contains("'55' is not a valid code for EOD Mets"),
        "{page}"
    );
    assert!(page.contains("is not a T category"), "{page}");
    assert!(
        tumor::find(&mut app.conn(), id)
            .unwrap()
            .unwrap()
            .derived_summary_stage_2018
            .is_none()
    );

    // Saved: entered items, derived values and the algorithm version.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{id}/stage"),
            &[
                ("action", "save"),
                ("eodPrimaryTumor", "100"),
                ("eodRegionalNodes", "200"),
                ("eodMets", "00"),
                ("gradeClinical", "2"),
                ("summaryStage2018", "3"),
                ("ajccTnmClinT", "cT1c"),
                ("ajccTnmClinN", "cN1"),
                ("ajccTnmClinM", "cM0"),
                ("ajccTnmClinStageGroup", "2A"),
                ("tnmEditionNumber", "08"),
            ],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let saved = tumor::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(saved.derived_summary_stage_2018.as_deref(), Some("3"));
    assert_eq!(saved.schema_id.as_deref(), Some("00480"));
    assert_eq!(saved.summary_stage_2018.as_deref(), Some("3"));
    assert_eq!(saved.item("eodRegionalNodes").as_deref(), Some("200"));
    assert_eq!(saved.item("derivedSummaryGrade2018").as_deref(), Some("2"));
    assert_eq!(saved.item("ajccTnmClinT").as_deref(), Some("cT1c"));
    let version: String = tumor_stagings::table
        .filter(tumor_stagings::tumor_id.eq(id))
        .select(tumor_stagings::algorithm_version)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(version, "3.3");
    let audited = app.audit_rows().into_iter().any(|r| {
        r.action == "update"
            && r.entity == "tumor"
            && r.changes.as_deref().is_some_and(|c| {
                c.contains("derivedSummaryStage2018") && c.contains("eodPrimaryTumor")
            })
    });
    assert!(audited, "the save is audited with each field");
    let (_, page) = app.get(&c, &format!("/tumors/{id}/stage?saved=1")).await;
    assert!(page.contains("Stage saved."));
    assert!(page.contains("values last derived with version 3.3"));

    // A reviewer reads the page but cannot save.
    let reviewer = app.client_for("rev", Role::Reviewer, &["0000000001"]).await;
    let (status, page) = app.get(&reviewer, &format!("/tumors/{id}/stage")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("id=\"save-stage\""));
    let response = app
        .post_form(
            &reviewer,
            &format!("/tumors/{id}/stage"),
            &[("action", "save"), ("eodMets", "10")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(
        tumor::find(&mut app.conn(), id)
            .unwrap()
            .unwrap()
            .item("eodMets")
            .as_deref(),
        Some("00")
    );

    // Nasopharynx: the discriminator question with its codes; choosing one selects the schema.
    let (_, naso) = case(
        &app,
        &c,
        "Naso",
        &[
            ("dateOfDiagnosis", "2022-05-01"),
            ("primarySite", "C11.1"),
            ("laterality", "0"),
            ("histologicTypeIcdO3", "8200"),
            ("behaviorCodeIcdO3", "3"),
            ("classOfCase", "10"),
        ],
    )
    .await;
    let (_, page) = app.get(&c, &format!("/tumors/{naso}/stage")).await;
    assert!(page.contains("Several schemas match"), "{page}");
    assert!(
        page.contains("<select id=\"f-schemaDiscriminator1\""),
        "{page}"
    );
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{naso}/stage"),
            &[("action", "derive"), ("schemaDiscriminator1", "1")],
        )
        .await;
    let page = response.text().await.unwrap();
    assert!(page.contains("Nasopharynx"), "{page}");
}

#[tokio::test]
async fn without_an_algorithm_the_fields_are_plain_codes_and_the_page_explains_the_install() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (_, id) = case(&app, &c, "Plain", BREAST_TUMOR).await;
    let (status, page) = app.get(&c, &format!("/tumors/{id}/stage")).await;
    assert_eq!(status, 200);
    assert!(page.contains("registrar staging install"), "{page}");
    assert!(page.contains("id=\"f-eodPrimaryTumor\""));
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{id}/stage"),
            &[("action", "save"), ("eodPrimaryTumor", "1000")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422, "longer than the item");
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{id}/stage"),
            &[
                ("action", "save"),
                ("eodPrimaryTumor", "100"),
                ("summaryStage2018", "1"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let saved = tumor::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(saved.item("eodPrimaryTumor").as_deref(), Some("100"));
    assert_eq!(saved.summary_stage_2018.as_deref(), Some("1"));
    assert!(
        saved.derived_summary_stage_2018.is_none(),
        "nothing derived"
    );
}

#[tokio::test]
async fn a_new_algorithm_version_re_derives_stored_cases_and_lists_the_changed_ones() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let actor = registrar::audit::Actor::system("test");
    registrar::services::staging::install(&mut app.conn(), &app.settings, &zip("3.2"), &actor)
        .unwrap();
    let response = app.post_form(&c, "/admin/staging/reload", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = app.get(&c, "/admin/staging").await;
    assert!(page.contains("eod_public 3.2"), "{page}");

    let mut ids = Vec::new();
    for (i, (ext, nodes)) in [("100", "000"), ("100", "200"), ("200", "200")]
        .iter()
        .enumerate()
    {
        let (_, id) = case(&app, &c, &format!("Rederive{i}"), BREAST_TUMOR).await;
        let response = app
            .post_form(
                &c,
                &format!("/tumors/{id}/stage"),
                &[
                    ("action", "save"),
                    ("eodPrimaryTumor", ext),
                    ("eodRegionalNodes", nodes),
                    ("eodMets", "00"),
                    ("tumorSizeSummary", "025"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let t = tumor::find(&mut app.conn(), id).unwrap().unwrap();
        assert_eq!(
            t.item("derivedEod2018T").as_deref(),
            Some("T2"),
            "3.2 derives T"
        );
        ids.push(id);
    }

    registrar::services::staging::install(&mut app.conn(), &app.settings, &zip("3.3"), &actor)
        .unwrap();
    let response = app.post_form(&c, "/admin/staging/reload", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let job = loop_until_finished(&app, &c).await;
    let (status, page) = app
        .get(&c, &format!("/admin/staging/rederivations/{job}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("finished"), "{page}");
    assert!(
        page.contains("<span id=\"job-done\">3</span> / <span id=\"job-total\">3</span>"),
        "{page}"
    );
    for id in &ids {
        assert!(
            page.contains(&format!("/tumors/{id}/stage")),
            "tumor {id} listed: {page}"
        );
        let t = tumor::find(&mut app.conn(), *id).unwrap().unwrap();
        assert_eq!(t.item("derivedEod2018T"), None, "3.3 derives no T");
    }
    assert!(
        page.contains("Derived EOD 2018 T [785]: T2 → (empty)"),
        "{page}"
    );
    let versions: Vec<String> = tumor_stagings::table
        .select(tumor_stagings::algorithm_version)
        .load(&mut app.conn())
        .unwrap();
    assert!(versions.iter().all(|v| v == "3.3"), "{versions:?}");
}

async fn loop_until_finished(app: &TestApp, c: &reqwest::Client) -> i64 {
    for _ in 0..300 {
        let jobs = registrar::models::staging::rederivations(&mut app.conn(), 5).unwrap();
        if let Some(job) = jobs.first()
            && !job.is_running()
        {
            return job.id;
        }
        let (status, _) = app.get(c, "/admin/staging").await;
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the re-derivation did not finish");
}

#[tokio::test]
async fn a_registrar_stages_a_breast_case_and_sees_the_derived_summary_stage_appear() {
    use fantoccini::Locator;
    let app = spawn_with("3.3").await;
    let admin = app.admin_client().await;
    let (_, id) = case(&app, &admin, "Browser", BREAST_TUMOR).await;
    let (email, password) = app.user("stager", Role::Registrar, &["0000000001"]);
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    let result: Result<(), fantoccini::error::CmdError> = async {
        c.goto(&app.url("/login")).await?;
        c.find(Locator::Id("email"))
            .await?
            .send_keys(&email)
            .await?;
        c.find(Locator::Id("password"))
            .await?
            .send_keys(&password)
            .await?;
        c.find(Locator::Css("form button[type=submit]"))
            .await?
            .click()
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.goto(&app.url(&format!("/tumors/{id}/stage"))).await?;
        let derived = c
            .find(Locator::Id("derived-derivedSummaryStage2018"))
            .await?;
        let before = derived.text().await?;
        c.find(Locator::Id("f-eodPrimaryTumor"))
            .await?
            .select_by_value("200")
            .await?;
        c.find(Locator::Id("f-eodRegionalNodes"))
            .await?
            .select_by_value("200")
            .await?;
        c.find(Locator::Id("f-eodMets"))
            .await?
            .select_by_value("00")
            .await?;
        let mut seen = String::new();
        for _ in 0..50 {
            seen = c
                .find(Locator::Id("derived-derivedSummaryStage2018"))
                .await?
                .text()
                .await?;
            if seen.starts_with('4') {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            seen.starts_with('4'),
            "SS2018 4 (RE + RN) appears without a reload; before: {before:?}, now: {seen:?}"
        );
        assert_eq!(c.current_url().await?.path(), format!("/tumors/{id}/stage"));
        c.find(Locator::Id("save-stage")).await?.click().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    }
    .await;
    if result.is_err() {
        b.screenshot("staging-browser").await;
    }
    result.expect("browser steps");
    let saved = tumor::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(saved.derived_summary_stage_2018.as_deref(), Some("4"));
}
