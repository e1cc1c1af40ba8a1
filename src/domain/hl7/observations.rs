//! Report text sections and CAP synoptic answers from the OBX segments of one OBR.

use std::collections::HashMap;

use super::encoding::unescape;
use super::field_map::{
    CAP_CODING_SYSTEMS, Item, TEMPLATE_ID_LOINC, TEMPLATE_SOURCE_LOINC, TEMPLATE_VERSION_LOINC,
    section_kind,
};
use super::parse::{OrderGroup, Reader, Segment, non_empty};
use super::report::{ReportSection, SectionKind, SynopticAnswer};

/// One OBX piece of a text section.
struct Piece {
    set_id: Option<u64>,
    sub_id: Option<u64>,
    order: usize,
    line: usize,
    text: String,
}

/// CAP template named by the header OBX of an OBR.
#[derive(Default)]
struct Template {
    id: String,
    name: String,
    version: String,
    warned: bool,
}

fn numeric(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// The text of an OBX value: text types keep their components; coded ones give their text.
fn observation_text(r: &Reader, value_type: &str, raw: &str) -> String {
    let lines: Vec<String> = r
        .reps(raw)
        .map(|rep| match value_type {
            "CWE" | "CE" | "CNE" | "CF" => {
                let text = r.comp_value(rep, 2);
                if text.is_empty() {
                    r.comp_value(rep, 1)
                } else {
                    text
                }
            }
            "SN" => rep
                .split(r.d.component)
                .map(|c| r.value(c))
                .collect::<String>(),
            _ => unescape(rep, &r.d),
        })
        .collect();
    lines.join("\n")
}

pub(super) fn read_observations(
    r: &mut Reader,
    segments: &[Segment<'_>],
    group: &OrderGroup,
    sections: &mut Vec<ReportSection>,
    synoptic: &mut Vec<SynopticAnswer>,
) {
    let mut template = Template::default();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut pieces: Vec<(String, Vec<Piece>)> = Vec::new();
    for (order, obx) in group
        .obx
        .iter()
        .filter_map(|&i| segments.get(i))
        .enumerate()
    {
        let status = r.get(obx, Item::ObservationStatus).to_ascii_uppercase();
        let code = r.get(obx, Item::ObservationCode);
        if status == "W" {
            r.warn(
                obx.line,
                "OBX-11",
                format!("observation {code} is marked wrong (W) by the lab; left out"),
            );
            continue;
        }
        let system = r
            .get(obx, Item::ObservationCodingSystem)
            .to_ascii_uppercase();
        let value_type = r.get(obx, Item::ObservationValueType).to_ascii_uppercase();
        let value_raw = obx.field(Item::ObservationValue.position().field);
        match code.as_str() {
            TEMPLATE_SOURCE_LOINC => continue,
            TEMPLATE_ID_LOINC => {
                let rep = r.first_rep(value_raw);
                template.id = r.comp_value(rep, 1);
                template.name = r.comp_value(rep, 2);
                continue;
            }
            TEMPLATE_VERSION_LOINC => {
                template.version = observation_text(r, &value_type, value_raw)
                    .trim()
                    .to_string();
                continue;
            }
            _ => {}
        }
        let is_cap = CAP_CODING_SYSTEMS.contains(&system.as_str())
            || (!template.id.is_empty() && system != "LN" && !code.is_empty());
        if is_cap {
            if template.id.is_empty() && !template.warned {
                template.warned = true;
                r.warn(
                    obx.line,
                    "OBX-3",
                    "CAP checklist answers without a template ID (OBX 60572-5); answers kept without template",
                );
            }
            synoptic.extend(synoptic_answers(
                r,
                obx,
                &template,
                &code,
                &value_type,
                value_raw,
            ));
            continue;
        }
        if matches!(value_type.as_str(), "ED" | "RP") {
            r.warn(
                obx.line,
                "OBX-2",
                format!("observation {code} is an embedded document or reference ({value_type}); not read as text"),
            );
            continue;
        }
        if code.is_empty() {
            r.warn(
                obx.line,
                "OBX-3",
                "text without an observation code; kept as an 'Other' section",
            );
        }
        let piece = Piece {
            set_id: numeric(&r.get(obx, Item::ObservationSetId)),
            sub_id: numeric(&r.get(obx, Item::ObservationSubId)),
            order,
            line: obx.line,
            text: observation_text(r, &value_type, value_raw),
        };
        match by_code.get(&code) {
            Some(&k) => {
                if let Some((_, list)) = pieces.get_mut(k) {
                    list.push(piece);
                }
            }
            None => {
                by_code.insert(code.clone(), pieces.len());
                pieces.push((code, vec![piece]));
            }
        }
    }
    for (code, mut list) in pieces {
        if list.iter().all(|p| p.set_id.is_some()) {
            let file_order: Vec<usize> = list.iter().map(|p| p.order).collect();
            list.sort_by_key(|p| (p.set_id, p.sub_id.unwrap_or(0), p.order));
            if list.iter().map(|p| p.order).ne(file_order)
                && let Some(first) = list.first()
            {
                r.warn(
                    first.line,
                    "OBX-1",
                    format!("the parts of section {code} were not in set-ID order; joined in set-ID order"),
                );
            }
        }
        let text = list
            .into_iter()
            .map(|p| p.text)
            .collect::<Vec<_>>()
            .join("\n");
        sections.push(ReportSection {
            kind: section_kind(&code),
            loinc: code,
            text: text.trim_end().to_string(),
        });
    }
}

fn synoptic_answers(
    r: &Reader,
    obx: &Segment<'_>,
    template: &Template,
    code: &str,
    value_type: &str,
    value_raw: &str,
) -> Vec<SynopticAnswer> {
    let base = SynopticAnswer {
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        template_version: template.version.clone(),
        question_id: code.to_string(),
        question: r.get(obx, Item::ObservationText),
        sub_id: r.get(obx, Item::ObservationSubId),
        ..SynopticAnswer::default()
    };
    match value_type {
        "CWE" | "CE" | "CNE" | "CF" => {
            let answers: Vec<SynopticAnswer> = r
                .reps(value_raw)
                .map(|rep| {
                    let answer_id = r.comp_value(rep, 1);
                    let text = r.comp_value(rep, 2);
                    let snomed = (r.comp_value(rep, 6).eq_ignore_ascii_case("SCT"))
                        .then(|| r.comp_value(rep, 4))
                        .filter(|c| !c.is_empty());
                    SynopticAnswer {
                        answer: if text.is_empty() {
                            answer_id.clone()
                        } else {
                            text
                        },
                        answer_id: non_empty(answer_id),
                        snomed_ct: snomed,
                        ..base.clone()
                    }
                })
                .collect();
            if answers.is_empty() {
                vec![base]
            } else {
                answers
            }
        }
        "NM" | "SN" => {
            let value = observation_text(r, value_type, r.first_rep(value_raw))
                .trim()
                .to_string();
            let unit = non_empty(r.get(obx, Item::ObservationUnits));
            let answer = match &unit {
                Some(u) if !value.is_empty() => format!("{value} {u}"),
                _ => value.clone(),
            };
            vec![SynopticAnswer {
                answer,
                value: non_empty(value),
                unit,
                ..base
            }]
        }
        _ => {
            let text = observation_text(r, value_type, value_raw)
                .trim()
                .to_string();
            vec![SynopticAnswer {
                answer: text.clone(),
                value: non_empty(text),
                ..base
            }]
        }
    }
}

/// NTE comments gathered into one Comment section.
pub(super) fn note_section(r: &Reader, segments: &[Segment<'_>], notes: &[usize]) -> ReportSection {
    let at = Item::NoteText.position();
    let text = notes
        .iter()
        .filter_map(|&i| segments.get(i))
        .map(|nte| {
            r.reps(nte.field(at.field))
                .map(|rep| unescape(rep, &r.d))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n");
    ReportSection {
        loinc: String::new(),
        kind: SectionKind::Comment,
        text: text.trim_end().to_string(),
    }
}
