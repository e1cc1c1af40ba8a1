//! Pick lists for the abstract form (codes and descriptions from each input's table) and
//! single-value validation.

use super::StagingError;
use super::algorithm::{Algorithm, Input, Schema};
use super::engine::{current_year, naaccr_value};
use super::table::{ColumnKind, PairValues};

/// One input of a schema, as the abstract form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInput {
    /// Algorithm key, e.g. `eod_primary_tumor`.
    pub key: String,
    /// NAACCR XML id, e.g. `eodPrimaryTumor`.
    pub naaccr_xml_id: Option<String>,
    /// NAACCR item number, e.g. 772.
    pub naaccr_item: Option<u32>,
    pub name: String,
    /// The algorithm uses the value to derive stage or grade.
    pub used_for_staging: bool,
    /// Value assumed when the item is blank.
    pub default: Option<String>,
    /// Table listing the valid codes.
    pub table_id: Option<String>,
    /// (code, description) rows of the table; a code may be a range such as `001-988`.
    pub codes: Vec<(String, String)>,
}

impl Algorithm {
    /// The inputs of a schema with their codes, in the schema's order.
    pub fn schema_inputs(&self, schema_id: &str) -> Result<Vec<SchemaInput>, StagingError> {
        let schema = self
            .find_schema(schema_id)
            .ok_or_else(|| StagingError::UnknownSchema(schema_id.to_string()))?;
        Ok(schema.inputs.iter().map(|i| self.pick_list(i)).collect())
    }

    fn pick_list(&self, input: &Input) -> SchemaInput {
        let key = self.key_name(input.key).to_string();
        let table = input.table.and_then(|t| self.table(t));
        let mut codes: Vec<(String, String)> = Vec::new();
        if let Some(table) = table
            && let Some(col) = table.column_position(&key, ColumnKind::Input)
        {
            let desc = table.description_position();
            for raw in &table.raw_rows {
                let Some(code) = raw.get(col).map(|c| c.trim()) else {
                    continue;
                };
                if code.is_empty() || code == "*" || codes.iter().any(|(c, _)| c == code) {
                    continue;
                }
                let description = desc
                    .and_then(|d| raw.get(d))
                    .map(|d| d.trim().to_string())
                    .unwrap_or_default();
                codes.push((code.to_string(), description));
            }
        }
        SchemaInput {
            key,
            naaccr_xml_id: input.xml_id.clone(),
            naaccr_item: input.item,
            name: input.name.clone(),
            used_for_staging: input.used_for_staging,
            default: input.default_text.clone(),
            table_id: table.map(|t| t.id.clone()),
            codes,
        }
    }

    fn find_input<'s>(&self, schema: &'s Schema, id: &str) -> Option<&'s Input> {
        schema
            .input_by_id
            .get(id)
            .and_then(|i| schema.inputs.get(*i))
            .or_else(|| schema.inputs.iter().find(|i| self.key_name(i.key) == id))
    }

    /// Checks one value of one input (by NAACCR XML id or algorithm key) against the
    /// input's table, as the reference engine's `isCodeValid` does.
    pub fn validate_input(&self, schema_id: &str, key: &str, value: &str) -> Result<(), String> {
        let schema = self
            .find_schema(schema_id)
            .ok_or_else(|| format!("the staging algorithm has no schema '{schema_id}'"))?;
        let input = self
            .find_input(schema, key)
            .ok_or_else(|| format!("schema {} has no input '{key}'", schema.name))?;
        let value = naaccr_value(value.trim(), input.year_of_date);
        let Some(table) = input.table.and_then(|t| self.table(t)) else {
            return Ok(());
        };
        let year = current_year().to_string();
        let values = PairValues(vec![
            (input.key, value),
            (self.engine_keys.alg_version, self.version.as_str()),
            (self.engine_keys.year_current, year.as_str()),
        ]);
        if table.find_row(&values, None).is_some() {
            Ok(())
        } else {
            let shown = if value.is_empty() { "<blank>" } else { value };
            Err(format!(
                "'{shown}' is not a valid code for {} [{}] in schema {} (table {})",
                input.name,
                input.xml_id.as_deref().unwrap_or(self.key_name(input.key)),
                schema.name,
                table.id
            ))
        }
    }
}
