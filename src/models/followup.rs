//! Follow-up rows: contacts, requests, the mail outbox, responses and letter templates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    followup_contacts, followup_letter_templates, followup_not_followed, followup_outbox,
    followup_requests, followup_responses, patients,
};
use crate::models::patient::Scope;

/// `pub fn $find(conn, id) -> Option<$row>` and `pub fn $insert(conn, &$new) -> id` for a table
/// with an `id` primary key (one shape for every follow-up table).
macro_rules! find_and_insert {
    ($table:ident, $row:ty, $new:ty, $find:ident, $insert:ident) => {
        pub fn $find(conn: &mut DbConn, id: i64) -> QueryResult<Option<$row>> {
            $table::table
                .find(id)
                .select(<$row>::as_select())
                .first(conn)
                .optional()
        }

        pub fn $insert(conn: &mut DbConn, row: &$new) -> QueryResult<i64> {
            diesel::insert_into($table::table)
                .values(row)
                .returning($table::id)
                .get_result(conn)
        }
    };
}

/// The facilities a scope limits a list to (`None`: every facility).
fn scope_ids(scope: &Scope) -> Option<Vec<i64>> {
    match scope {
        Scope::All => None,
        Scope::Facilities(ids) => Some(ids.clone()),
    }
}

/// Contact roles, in the order a physician letter looks for them.
pub const CONTACT_ROLES: [(&str, &str); 4] = [
    ("following-physician", "Following physician"),
    ("other-physician", "Other physician"),
    ("patient", "Patient"),
    ("other", "Other contact"),
];

pub const CHANNELS: [(&str, &str); 3] = [
    ("email", "E-mail"),
    ("letter", "Printed letter"),
    ("phone", "Phone"),
];

pub fn role_label(role: &str) -> &'static str {
    CONTACT_ROLES
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, l)| *l)
        .unwrap_or("Contact")
}

/// The template family a contact role uses: physicians get the physician letter, everyone else
/// the patient letter.
pub fn template_kind(role: &str) -> &'static str {
    if role.ends_with("physician") {
        "physician"
    } else {
        "patient"
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = followup_contacts, treat_none_as_null = true)]
pub struct Contact {
    pub id: i64,
    pub patient_id: i64,
    pub role: String,
    pub name: String,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub preferred_channel: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub invalid: bool,
    pub invalid_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Contact {
    /// Usable on `today` (ISO date text compares in date order).
    pub fn usable_on(&self, today: &str) -> bool {
        !self.invalid
            && self.valid_from.as_deref().is_none_or(|f| f <= today)
            && self.valid_to.as_deref().is_none_or(|t| t >= today)
    }
    /// Reached by e-mail (preferred channel e-mail and an address).
    pub fn by_email(&self) -> bool {
        self.preferred_channel == "email" && self.email.as_deref().is_some_and(|e| !e.is_empty())
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = followup_contacts)]
pub struct NewContact {
    pub patient_id: i64,
    pub role: String,
    pub name: String,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub preferred_channel: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub invalid: bool,
    pub invalid_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

find_and_insert!(
    followup_contacts,
    Contact,
    NewContact,
    find_contact,
    insert_contact
);

pub fn contacts_of(conn: &mut DbConn, patient_id: i64) -> QueryResult<Vec<Contact>> {
    contacts_of_many(conn, &[patient_id])
}

/// Contacts of many patients at once (the job reads one page of patients at a time).
pub fn contacts_of_many(conn: &mut DbConn, patient_ids: &[i64]) -> QueryResult<Vec<Contact>> {
    followup_contacts::table
        .filter(followup_contacts::patient_id.eq_any(patient_ids))
        .order(followup_contacts::id.asc())
        .select(Contact::as_select())
        .load(conn)
}

pub fn save_contact(conn: &mut DbConn, contact: &mut Contact) -> QueryResult<()> {
    contact.updated_at = super::now();
    diesel::update(followup_contacts::table.find(contact.id))
        .set(&*contact)
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = followup_requests)]
pub struct Request {
    pub id: i64,
    pub patient_id: i64,
    pub contact_id: Option<i64>,
    /// The due date of the cycle (date of last contact + 12 months), `YYYY-MM-DD`.
    pub due_on: String,
    pub number: i32,
    /// `email`, `letter` (printed) or `phone`.
    pub channel: String,
    /// `sent` (waiting for an answer), `answered`, `bounced`.
    pub state: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_on: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = followup_requests)]
pub struct NewRequest {
    pub patient_id: i64,
    pub contact_id: Option<i64>,
    pub due_on: String,
    pub number: i32,
    pub channel: String,
    pub state: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_on: String,
    pub created_at: NaiveDateTime,
}

find_and_insert!(
    followup_requests,
    Request,
    NewRequest,
    find_request,
    insert_request
);

/// A patient's requests, newest first.
pub fn requests_of(conn: &mut DbConn, patient_id: i64) -> QueryResult<Vec<Request>> {
    let mut requests = requests_of_many(conn, &[patient_id])?;
    requests.reverse();
    Ok(requests)
}

pub fn requests_of_many(conn: &mut DbConn, patient_ids: &[i64]) -> QueryResult<Vec<Request>> {
    followup_requests::table
        .filter(followup_requests::patient_id.eq_any(patient_ids))
        .order(followup_requests::id.asc())
        .select(Request::as_select())
        .load(conn)
}

/// The requests of the patients with ids in `(after, last]`.
pub fn requests_in_patient_range(
    conn: &mut DbConn,
    after: i64,
    last: i64,
) -> QueryResult<Vec<Request>> {
    followup_requests::table
        .filter(followup_requests::patient_id.gt(after))
        .filter(followup_requests::patient_id.le(last))
        .order(followup_requests::id.asc())
        .select(Request::as_select())
        .load(conn)
}

pub fn request_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Request>> {
    followup_requests::table
        .filter(followup_requests::token_hash.eq(hash))
        .select(Request::as_select())
        .first(conn)
        .optional()
}

pub fn set_request_state(conn: &mut DbConn, id: i64, state: &str) -> QueryResult<()> {
    diesel::update(followup_requests::table.find(id))
        .set(followup_requests::state.eq(state))
        .execute(conn)?;
    Ok(())
}

/// Marks the token used; returns false when it already was (another submission won).
pub fn use_token(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        followup_requests::table
            .find(id)
            .filter(followup_requests::used_at.is_null()),
    )
    .set((
        followup_requests::used_at.eq(Some(at)),
        followup_requests::state.eq("answered"),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Requests in one of `states` with their patient's name (dashboard lists), newest first, for the
/// patients of the scope's facilities.
pub fn requests_in_state(
    conn: &mut DbConn,
    scope: &Scope,
    states: &[&str],
    limit: i64,
) -> QueryResult<Vec<(Request, String, Option<String>)>> {
    let mut query = followup_requests::table
        .inner_join(patients::table)
        .filter(
            followup_requests::state
                .eq_any(states.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        )
        .order(followup_requests::id.desc())
        .limit(limit)
        .select((
            Request::as_select(),
            patients::name_last,
            patients::name_first,
        ))
        .into_boxed();
    if let Some(ids) = scope_ids(scope) {
        query = query.filter(patients::facility_id.eq_any(ids));
    }
    query.load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = followup_outbox)]
pub struct OutboxLetter {
    pub id: i64,
    pub request_id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// `queued`, `retry`, `sent`, `bounced` (permanent failure), `failed` (gave up on retries),
    /// `print` (contact without e-mail: printed from the batch print list), `printed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = followup_outbox)]
pub struct NewOutboxLetter {
    pub request_id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

find_and_insert!(
    followup_outbox,
    OutboxLetter,
    NewOutboxLetter,
    find_letter,
    insert_letter
);

/// E-mails ready to go (queued, a retry whose time has come, or a claim abandoned by a sender that
/// stopped mid-way), oldest first.
pub fn deliverable(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    followup_outbox::table
        .filter(followup_outbox::state.eq_any(["queued", "retry", "sending"]))
        .filter(followup_outbox::next_attempt_at.le(now))
        .order(followup_outbox::id.asc())
        .limit(limit)
        .select(followup_outbox::id)
        .load(conn)
}

/// Claims a letter for one sender (atomic: two senders never both get it). The claim expires
/// after ten minutes so a crashed sender's letter is retried.
pub fn claim_letter(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        followup_outbox::table
            .find(id)
            .filter(followup_outbox::state.eq_any(["queued", "retry", "sending"]))
            .filter(followup_outbox::next_attempt_at.le(now)),
    )
    .set((
        followup_outbox::state.eq("sending"),
        followup_outbox::next_attempt_at.eq(now + chrono::TimeDelta::minutes(10)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn letters_of_request(conn: &mut DbConn, request_id: i64) -> QueryResult<Vec<OutboxLetter>> {
    followup_outbox::table
        .filter(followup_outbox::request_id.eq(request_id))
        .order(followup_outbox::id.asc())
        .select(OutboxLetter::as_select())
        .load(conn)
}

/// Outbox letters (of one state, or all), newest first, for the patients of the scope's facilities.
pub fn letters(
    conn: &mut DbConn,
    scope: &Scope,
    state: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxLetter>> {
    let mut query = followup_outbox::table
        .inner_join(followup_requests::table.inner_join(patients::table))
        .order(followup_outbox::id.desc())
        .limit(limit)
        .select(OutboxLetter::as_select())
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(followup_outbox::state.eq(state.to_string()));
    }
    if let Some(ids) = scope_ids(scope) {
        query = query.filter(patients::facility_id.eq_any(ids));
    }
    query.load(conn)
}

/// The facility of the patient a letter is for.
pub fn letter_facility(conn: &mut DbConn, letter_id: i64) -> QueryResult<Option<i64>> {
    followup_outbox::table
        .inner_join(followup_requests::table.inner_join(patients::table))
        .filter(followup_outbox::id.eq(letter_id))
        .select(patients::facility_id)
        .first(conn)
        .optional()
}

/// Letters by delivery state, for the patients of the scope's facilities.
pub fn count_letters_by_state(conn: &mut DbConn, scope: &Scope) -> QueryResult<Vec<(String, i64)>> {
    let mut query = followup_outbox::table
        .inner_join(followup_requests::table.inner_join(patients::table))
        .group_by(followup_outbox::state)
        .select((followup_outbox::state, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(ids) = scope_ids(scope) {
        query = query.filter(patients::facility_id.eq_any(ids));
    }
    query.load(conn)
}

/// Records the outcome of one delivery attempt.
#[allow(clippy::too_many_arguments)]
pub fn record_attempt(
    conn: &mut DbConn,
    id: i64,
    state: &str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_error: Option<String>,
    message_id: Option<String>,
    sent_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(followup_outbox::table.find(id))
        .set((
            followup_outbox::state.eq(state),
            followup_outbox::attempts.eq(attempts),
            followup_outbox::next_attempt_at.eq(next_attempt_at),
            followup_outbox::last_error.eq(last_error),
            followup_outbox::message_id.eq(message_id),
            followup_outbox::sent_at.eq(sent_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_letter_state(conn: &mut DbConn, id: i64, state: &str) -> QueryResult<()> {
    diesel::update(followup_outbox::table.find(id))
        .set(followup_outbox::state.eq(state))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = followup_responses)]
pub struct Response {
    pub id: i64,
    pub request_id: i64,
    pub patient_id: i64,
    /// JSON of `services::followup::SubmittedAnswers`.
    pub submitted_values: String,
    pub submitted_at: NaiveDateTime,
    /// `pending`, `accepted`, `corrected`.
    pub state: String,
    pub applied_values: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = followup_responses)]
pub struct NewResponse {
    pub request_id: i64,
    pub patient_id: i64,
    pub submitted_values: String,
    pub submitted_at: NaiveDateTime,
    pub state: String,
}

find_and_insert!(
    followup_responses,
    Response,
    NewResponse,
    find_response,
    insert_response
);

pub fn responses_of(conn: &mut DbConn, patient_id: i64) -> QueryResult<Vec<Response>> {
    followup_responses::table
        .filter(followup_responses::patient_id.eq(patient_id))
        .order(followup_responses::id.desc())
        .select(Response::as_select())
        .load(conn)
}

/// A held response with its patient's last and first name.
pub type PendingResponse = (Response, String, Option<String>);

/// Responses waiting for a registrar, with the patient's name, for the patients of the scope's
/// facilities.
pub fn pending_responses(
    conn: &mut DbConn,
    scope: &Scope,
    limit: i64,
) -> QueryResult<Vec<PendingResponse>> {
    let mut query = followup_responses::table
        .inner_join(patients::table)
        .filter(followup_responses::state.eq("pending"))
        .order(followup_responses::id.asc())
        .limit(limit)
        .select((
            Response::as_select(),
            patients::name_last,
            patients::name_first,
        ))
        .into_boxed();
    if let Some(ids) = scope_ids(scope) {
        query = query.filter(patients::facility_id.eq_any(ids));
    }
    query.load(conn)
}

pub fn decide_response(
    conn: &mut DbConn,
    id: i64,
    state: &str,
    applied_values: &str,
    by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        followup_responses::table
            .find(id)
            .filter(followup_responses::state.eq("pending")),
    )
    .set((
        followup_responses::state.eq(state),
        followup_responses::applied_values.eq(Some(applied_values)),
        followup_responses::decided_by.eq(by),
        followup_responses::decided_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = followup_letter_templates)]
pub struct LetterTemplate {
    pub id: i64,
    /// `physician` or `patient` (see [`template_kind`]).
    pub contact_role: String,
    pub version: i32,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = followup_letter_templates)]
pub struct NewLetterTemplate {
    pub contact_role: String,
    pub version: i32,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

find_and_insert!(
    followup_letter_templates,
    LetterTemplate,
    NewLetterTemplate,
    find_template,
    insert_template
);

/// The newest version of a kind's template, `None` while the built-in default is in use.
pub fn current_template(conn: &mut DbConn, kind: &str) -> QueryResult<Option<LetterTemplate>> {
    followup_letter_templates::table
        .filter(followup_letter_templates::contact_role.eq(kind))
        .order(followup_letter_templates::version.desc())
        .select(LetterTemplate::as_select())
        .first(conn)
        .optional()
}

/// Why a patient is not followed (Next Follow-Up Source 8 or 9 on its tumors).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = followup_not_followed)]
pub struct NotFollowed {
    pub patient_id: i64,
    pub next_source: String,
    pub reason: String,
    pub set_by: Option<i64>,
    pub set_at: NaiveDateTime,
}

pub fn not_followed_of(conn: &mut DbConn, patient_id: i64) -> QueryResult<Option<NotFollowed>> {
    followup_not_followed::table
        .find(patient_id)
        .select(NotFollowed::as_select())
        .first(conn)
        .optional()
}

/// Records (or with `None` clears) why a patient is not followed.
pub fn set_not_followed(
    conn: &mut DbConn,
    patient_id: i64,
    row: Option<&NotFollowed>,
) -> QueryResult<()> {
    diesel::delete(followup_not_followed::table.find(patient_id)).execute(conn)?;
    if let Some(row) = row {
        diesel::insert_into(followup_not_followed::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Patients of the scope with a request still open (`sent`) or that bounced, ids ascending after
/// `after` (the phone task list pages through them).
pub fn patients_with_open_requests(
    conn: &mut DbConn,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut query = followup_requests::table
        .inner_join(patients::table)
        .filter(followup_requests::state.eq_any(["sent", "bounced", "undelivered"]))
        .filter(followup_requests::patient_id.gt(after))
        .select(followup_requests::patient_id)
        .distinct()
        .order(followup_requests::patient_id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(ids) = scope_ids(scope) {
        query = query.filter(patients::facility_id.eq_any(ids));
    }
    query.load(conn)
}

/// Closes a patient's open requests after a phone contact (`phoned`); returns how many.
pub fn close_open_requests(conn: &mut DbConn, patient_id: i64) -> QueryResult<usize> {
    diesel::update(
        followup_requests::table
            .filter(followup_requests::patient_id.eq(patient_id))
            .filter(followup_requests::state.eq_any(["sent", "bounced", "undelivered"])),
    )
    .set(followup_requests::state.eq("phoned"))
    .execute(conn)
}
