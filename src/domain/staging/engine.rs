//! The staging run: schema selection, input defaults and validation, mappings and
//! table paths, output validation (the reference engine's `Staging.stage` and
//! `DecisionEngine.process`).

use chrono::Datelike;

use super::algorithm::{Algorithm, Input, InvalidInputHandling, Mapping, Schema, TablePath};
use super::result::{
    StagingErrorKind, StagingInputs, StagingMessage, StagingOutput, StagingResult, StagingStatus,
};
use super::selection::{Lookup, SchemaSelection};
use super::table::{Context, EndpointKind, KeyId, Operand, TableIdx};

/// Reads a NAACCR value for an input: the year of a date item, the value itself otherwise.
pub(crate) fn naaccr_value(value: &str, year_of_date: bool) -> &str {
    if year_of_date {
        value.get(..4).unwrap_or(value)
    } else {
        value
    }
}

/// The current calendar year, for `{{ctx_year_current}}`.
pub(crate) fn current_year() -> i32 {
    chrono::Local::now().year()
}

fn message(
    kind: StagingErrorKind,
    message: String,
    key: Option<&str>,
    table: Option<&str>,
) -> StagingMessage {
    StagingMessage {
        kind,
        message,
        key: key.map(str::to_string),
        table: table.map(str::to_string),
    }
}

/// Resolves an operand against the run's context.
fn resolve<'a>(operand: &'a Operand, ctx: &Context<'a>) -> &'a str {
    match operand {
        Operand::Literal(s) => s,
        Operand::Reference(k) => ctx.get(*k).unwrap_or(""),
    }
}

impl Algorithm {
    /// Stages one tumor: selects its schema and derives every output (Summary Stage 2018,
    /// Summary Grade, Schema ID, and EOD T/N/M/stage group where the algorithm has them).
    pub fn stage(&self, inputs: &StagingInputs) -> StagingResult {
        self.stage_in_year(inputs, current_year())
    }

    /// [`Algorithm::stage`] with a fixed current year (the upper bound of the year of
    /// diagnosis), for reproducible results.
    pub fn stage_in_year(&self, inputs: &StagingInputs, current_year: i32) -> StagingResult {
        let mut result = StagingResult {
            status: StagingStatus::NoSchema,
            schema: None,
            outputs: Vec::new(),
            algorithm_version: self.version.clone(),
            errors: Vec::new(),
            needed_discriminator: None,
        };
        let year_text = current_year.to_string();
        let schema = match self.select(inputs, &year_text) {
            SchemaSelection::Selected(reference) => match self.find_schema(&reference.id) {
                Some(schema) => schema,
                None => return result,
            },
            SchemaSelection::NoSchema { kind, reason, key } => {
                result
                    .errors
                    .push(message(kind, reason, key.as_deref(), None));
                return result;
            }
            SchemaSelection::Ambiguous { candidates, needed } => {
                result.status = StagingStatus::AmbiguousSchema;
                let names: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
                let (ask, key) = match &needed {
                    Some(n) => (
                        format!(
                            "; supply {} ({})",
                            n.name,
                            n.naaccr_xml_id.as_deref().unwrap_or(&n.key)
                        ),
                        n.naaccr_xml_id.clone().or_else(|| Some(n.key.clone())),
                    ),
                    None => (String::new(), None),
                };
                result.errors.push(message(
                    StagingErrorKind::MultipleMatchingSchemas,
                    format!("{} schemas match: {}{ask}", names.len(), names.join(", ")),
                    key.as_deref(),
                    None,
                ));
                result.needed_discriminator = needed;
                return result;
            }
        };
        result.schema = Some(schema.reference());

        // Items no schema of the algorithm reads are mistakes (a misspelt id, a wrong item);
        // items only other schemas read are ignored, so a whole tumor record can be passed.
        let mut ctx = Context::new(self.keys.len());
        for (id, value) in inputs.iter() {
            match schema
                .input_by_id
                .get(id)
                .and_then(|i| schema.inputs.get(*i))
            {
                Some(input) => {
                    // The item's own id wins over its alias (v26 vs v25 sex).
                    let own = input.xml_id.as_deref().is_none_or(|x| x == id);
                    if own || !ctx.contains(input.key) {
                        ctx.set(input.key, naaccr_value(value, input.year_of_date));
                    }
                }
                None if !self.known_input_ids.contains(id) => result.errors.push(message(
                    StagingErrorKind::UnknownInput,
                    format!(
                        "'{id}' is not a staging input of algorithm {} {}",
                        self.name, self.version
                    ),
                    Some(id),
                    None,
                )),
                None => {}
            }
        }
        if !result.errors.is_empty() {
            result.status = StagingStatus::InvalidInput;
            return result;
        }
        ctx.set(self.engine_keys.alg_version, &self.version);
        ctx.set(self.engine_keys.year_current, &year_text);

        if !self.year_dx_valid(schema, &ctx) {
            let year = ctx.get(self.engine_keys.year_dx).unwrap_or("");
            result.status = StagingStatus::InvalidInput;
            result.errors.push(message(
                StagingErrorKind::InvalidYearDx,
                format!("year of diagnosis '{year}' is outside the years this algorithm stages"),
                Some(self.key_label(self.engine_keys.year_dx)),
                None,
            ));
            return result;
        }

        let failed_input = self.process(schema, &mut ctx, &mut result.errors);
        if failed_input {
            result.status = StagingStatus::InvalidInput;
            return result;
        }
        for output in &schema.outputs {
            if let Some(value) = ctx.get(output.key) {
                result.outputs.push(StagingOutput {
                    key: self.key_name(output.key).to_string(),
                    naaccr_xml_id: output.xml_id.clone(),
                    value: value.to_string(),
                });
            }
        }
        if let Some(v) = result.output("derived_version") {
            result.algorithm_version = v.to_string();
        }
        result.status = if result
            .errors
            .iter()
            .any(|e| e.kind == StagingErrorKind::InvalidRequiredInput)
        {
            StagingStatus::InvalidInput
        } else if result.errors.iter().any(|e| e.kind.is_engine_error()) {
            StagingStatus::Error
        } else {
            StagingStatus::Staged
        };
        result
    }

    fn year_dx_valid(&self, schema: &Schema, ctx: &Context<'_>) -> bool {
        let Some(input) = schema.input_for_key(self.engine_keys.year_dx) else {
            return false;
        };
        match input.table.and_then(|t| self.table(t)) {
            Some(table) => table.find_row(ctx, None).is_some(),
            None => input.table.is_none(),
        }
    }

    /// Schema selection from the caller's items (see [`Algorithm::select_schema`]).
    pub(crate) fn select(&self, inputs: &StagingInputs, year_text: &str) -> SchemaSelection {
        let lookup = Lookup::from_inputs(self, inputs);
        self.select_with(&lookup, year_text)
    }

    /// Runs the schema's mappings on the context; true when an invalid input stops the run.
    fn process<'a>(
        &'a self,
        schema: &'a Schema,
        ctx: &mut Context<'a>,
        errors: &mut Vec<StagingMessage>,
    ) -> bool {
        // Defaults first (see the module notes), then validation.
        for input in &schema.inputs {
            if ctx.contains(input.key) {
                continue;
            }
            if let Some(default) = &input.default {
                let value = resolve(default, ctx);
                ctx.set(input.key, value);
            } else if let Some(idx) = input.default_table {
                match self.default_from_table(input, idx, ctx) {
                    Some(value) => ctx.set(input.key, value),
                    None => errors.push(message(
                        StagingErrorKind::MatchNotFound,
                        format!(
                            "default table {} did not find a match for {}",
                            self.table(idx).map(|t| t.id.as_str()).unwrap_or(""),
                            input.name
                        ),
                        Some(self.key_label(input.key)),
                        self.table(idx).map(|t| t.id.as_str()),
                    )),
                }
            } else {
                ctx.set(input.key, "");
            }
        }
        let mut stop = false;
        for input in &schema.inputs {
            let value = ctx.get(input.key).unwrap_or("");
            let Some(table) = input.table.and_then(|t| self.table(t)) else {
                continue;
            };
            if value.is_empty() || table.find_row(ctx, None).is_some() {
                continue;
            }
            let kind = if input.used_for_staging {
                StagingErrorKind::InvalidRequiredInput
            } else {
                StagingErrorKind::InvalidNonRequiredInput
            };
            errors.push(message(
                kind,
                format!(
                    "invalid {} [{}] value '{value}': not a code of table {}",
                    input.name,
                    self.key_label(input.key),
                    table.id
                ),
                Some(self.key_label(input.key)),
                Some(&table.id),
            ));
            stop |= schema.on_invalid_input == InvalidInputHandling::Fail
                || (input.used_for_staging
                    && schema.on_invalid_input == InvalidInputHandling::FailWhenUsedForStaging);
        }
        if stop {
            return true;
        }

        for output in &schema.outputs {
            let value = output.default.as_ref().map_or("", |d| resolve(d, ctx));
            ctx.set(output.key, value);
        }
        for (key, value) in &schema.initial_context {
            let value = resolve(value, ctx);
            ctx.set(*key, value);
        }
        for mapping in &schema.mappings {
            if !self.mapping_involved(mapping, ctx) {
                continue;
            }
            for (key, value) in &mapping.initial_context {
                ctx.set(*key, value);
            }
            for path in &mapping.paths {
                for (from, to) in &path.input_mapping {
                    match ctx.get(*from) {
                        Some(v) => ctx.set(*to, v),
                        None => errors.push(message(
                            StagingErrorKind::UnknownInputMapping,
                            format!(
                                "input mapping '{}' does not exist for table '{}'",
                                self.key_name(*from),
                                self.table(path.table).map(|t| t.id.as_str()).unwrap_or("")
                            ),
                            Some(self.key_label(*from)),
                            self.table(path.table).map(|t| t.id.as_str()),
                        )),
                    }
                }
                let mut stack: Vec<TableIdx> = Vec::new();
                let carry_on = self.process_table(path.table, path, ctx, errors, &mut stack);
                for (_, to) in &path.input_mapping {
                    ctx.remove(*to);
                }
                if !carry_on {
                    break;
                }
            }
        }

        // Keep only the schema's outputs, then check those that have a table.
        let extra: Vec<KeyId> = ctx
            .present_keys()
            .filter(|k| !schema.is_output.get(*k as usize).copied().unwrap_or(false))
            .collect();
        for key in extra {
            ctx.remove(key);
        }
        for output in &schema.outputs {
            let Some(value) = ctx.get(output.key) else {
                continue;
            };
            let Some(table) = output.table.and_then(|t| self.table(t)) else {
                continue;
            };
            if table.find_row(ctx, None).is_none() {
                let shown = if value.is_empty() { "<blank>" } else { value };
                errors.push(message(
                    StagingErrorKind::InvalidOutput,
                    format!(
                        "derived {} value '{shown}' is not a code of table {}",
                        self.key_label(output.key),
                        table.id
                    ),
                    Some(self.key_label(output.key)),
                    Some(&table.id),
                ));
            }
        }
        false
    }

    fn default_from_table<'a>(
        &'a self,
        input: &Input,
        idx: TableIdx,
        ctx: &Context<'a>,
    ) -> Option<&'a str> {
        let table = self.table(idx)?;
        let row = table.rows.get(table.find_row(ctx, None)?)?;
        row.endpoints
            .iter()
            .filter(|e| matches!(e.kind, EndpointKind::Value) && e.key == input.key)
            .find_map(|e| e.value.as_ref().map(|v| resolve(v, ctx)))
    }

    /// Inclusion tables must all match and exclusion tables must not (each matched with its
    /// own input mapping applied only for that test).
    fn mapping_involved<'a>(&'a self, mapping: &Mapping, ctx: &mut Context<'a>) -> bool {
        let test = |path: &TablePath, ctx: &mut Context<'a>| -> bool {
            let Some(table) = self.table(path.table) else {
                return false;
            };
            let mut saved: Vec<(KeyId, Option<&'a str>)> = Vec::new();
            for (from, to) in &path.input_mapping {
                if let Some(v) = ctx.get(*from) {
                    saved.push((*to, ctx.get(*to)));
                    ctx.set(*to, v);
                }
            }
            let found = table.find_row(ctx, None).is_some();
            for (key, previous) in saved.into_iter().rev() {
                match previous {
                    Some(v) => ctx.set(key, v),
                    None => ctx.remove(key),
                }
            }
            found
        };
        mapping.inclusion.iter().all(|p| test(p, ctx))
            && mapping.exclusion.iter().all(|p| !test(p, ctx))
    }

    /// Matches one table and applies the matched row's endpoints; false means STOP.
    fn process_table<'a>(
        &'a self,
        idx: TableIdx,
        path: &'a TablePath,
        ctx: &mut Context<'a>,
        errors: &mut Vec<StagingMessage>,
        stack: &mut Vec<TableIdx>,
    ) -> bool {
        let Some(table) = self.table(idx) else {
            errors.push(message(
                StagingErrorKind::UnknownTable,
                format!("table #{idx} does not exist"),
                None,
                None,
            ));
            return true;
        };
        if stack.contains(&idx) {
            errors.push(message(
                StagingErrorKind::InfiniteLoop,
                format!(
                    "the tables loop: table '{}' was reached twice while processing '{}'",
                    table.id,
                    self.table(path.table).map(|t| t.id.as_str()).unwrap_or("")
                ),
                None,
                Some(&table.id),
            ));
            return true;
        }
        stack.push(idx);
        let mut carry_on = true;
        match table.find_row(ctx, None).and_then(|r| table.rows.get(r)) {
            None => errors.push(message(
                StagingErrorKind::MatchNotFound,
                format!(
                    "no row of table '{}' matches ({})",
                    table.id,
                    table.inputs_as_text(ctx)
                ),
                table.input_keys.first().map(|k| self.key_label(*k)),
                Some(&table.id),
            )),
            Some(row) => {
                for endpoint in &row.endpoints {
                    match endpoint.kind {
                        EndpointKind::Stop => carry_on = false,
                        EndpointKind::Jump(target) => {
                            carry_on = self.process_table(target, path, ctx, errors, stack);
                        }
                        EndpointKind::Match => {}
                        EndpointKind::Error => {
                            let text = match &endpoint.value {
                                Some(Operand::Literal(s)) if !s.is_empty() => s.to_string(),
                                Some(Operand::Reference(k)) => {
                                    format!("{{{{{}}}}}", self.key_name(*k))
                                }
                                _ => format!(
                                    "matching resulted in an error in table '{}' for column '{}' ({})",
                                    table.id,
                                    self.key_name(endpoint.key),
                                    table.inputs_as_text(ctx)
                                ),
                            };
                            errors.push(message(
                                StagingErrorKind::StagingError,
                                text,
                                Some(self.key_label(endpoint.key)),
                                Some(&table.id),
                            ));
                        }
                        EndpointKind::Value => {
                            let mut mapped = false;
                            for (from, to) in &path.output_mapping {
                                if *from == endpoint.key {
                                    mapped = true;
                                    self.write_value(*to, endpoint.value.as_ref(), ctx);
                                }
                            }
                            if !mapped {
                                self.write_value(endpoint.key, endpoint.value.as_ref(), ctx);
                            }
                        }
                    }
                }
            }
        }
        stack.pop();
        carry_on
    }

    fn write_value<'a>(&'a self, key: KeyId, value: Option<&'a Operand>, ctx: &mut Context<'a>) {
        match value {
            Some(v) => {
                let resolved = resolve(v, ctx);
                ctx.set(key, resolved);
            }
            None => ctx.remove(key),
        }
    }
}
