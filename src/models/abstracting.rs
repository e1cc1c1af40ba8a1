//! QC reviews of abstracts (blind re-abstraction, compared item by item) and the server-side
//! drafts of unsaved abstract forms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{abstract_drafts, qc_review_items, qc_reviews};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = qc_reviews)]
pub struct QcReview {
    pub id: i64,
    pub tumor_id: i64,
    pub reviewer_id: i64,
    pub reviewer_email: String,
    pub registrar_id: Option<i64>,
    pub registrar_email: String,
    /// "open" (differences to resolve) or "resolved".
    pub state: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = qc_review_items)]
pub struct QcItem {
    pub id: i64,
    pub review_id: i64,
    pub naaccr_id: String,
    pub original_value: Option<String>,
    pub review_value: Option<String>,
    pub agreed: bool,
    pub reason: Option<String>,
    pub reason_text: Option<String>,
    /// "original" (kept) or "review" (the review value was taken).
    pub resolution: Option<String>,
}

/// One compared item of a new review.
pub struct NewQcItem {
    pub naaccr_id: String,
    pub original_value: Option<String>,
    pub review_value: Option<String>,
}

/// Stores a submitted review and its compared items (call inside a transaction).
pub fn insert_review(
    conn: &mut DbConn,
    tumor_id: i64,
    reviewer: (i64, &str),
    registrar: (Option<i64>, &str),
    items: &[NewQcItem],
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(qc_reviews::table)
        .values((
            qc_reviews::tumor_id.eq(tumor_id),
            qc_reviews::reviewer_id.eq(reviewer.0),
            qc_reviews::reviewer_email.eq(reviewer.1),
            qc_reviews::registrar_id.eq(registrar.0),
            qc_reviews::registrar_email.eq(registrar.1),
            qc_reviews::state.eq(
                if items.iter().all(|i| i.original_value == i.review_value) {
                    "resolved"
                } else {
                    "open"
                },
            ),
            qc_reviews::created_at.eq(super::now()),
        ))
        .returning(qc_reviews::id)
        .get_result(conn)?;
    // One insert per item: MultiConnection has no portable multi-row insert.
    for item in items {
        diesel::insert_into(qc_review_items::table)
            .values((
                qc_review_items::review_id.eq(id),
                qc_review_items::naaccr_id.eq(&item.naaccr_id),
                qc_review_items::original_value.eq(&item.original_value),
                qc_review_items::review_value.eq(&item.review_value),
                qc_review_items::agreed.eq(item.original_value == item.review_value),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find_review(conn: &mut DbConn, id: i64) -> QueryResult<Option<QcReview>> {
    qc_reviews::table
        .find(id)
        .select(QcReview::as_select())
        .first(conn)
        .optional()
}

pub fn items_of(conn: &mut DbConn, review_id: i64) -> QueryResult<Vec<QcItem>> {
    qc_review_items::table
        .filter(qc_review_items::review_id.eq(review_id))
        .order(qc_review_items::id)
        .select(QcItem::as_select())
        .load(conn)
}

/// Records the reason and resolution of one difference.
pub fn resolve_item(
    conn: &mut DbConn,
    item_id: i64,
    reason: &str,
    reason_text: Option<&str>,
    resolution: &str,
) -> QueryResult<()> {
    diesel::update(qc_review_items::table.find(item_id))
        .set((
            qc_review_items::reason.eq(reason),
            qc_review_items::reason_text.eq(reason_text),
            qc_review_items::resolution.eq(resolution),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_resolved(conn: &mut DbConn, review_id: i64) -> QueryResult<()> {
    diesel::update(qc_reviews::table.find(review_id))
        .set((
            qc_reviews::state.eq("resolved"),
            qc_reviews::resolved_at.eq(Some(super::now())),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Every compared item with the registrar of its review: the input of the agreement rates.
pub fn all_compared(conn: &mut DbConn) -> QueryResult<Vec<(String, String, bool)>> {
    qc_review_items::table
        .inner_join(qc_reviews::table)
        .select((
            qc_reviews::registrar_email,
            qc_review_items::naaccr_id,
            qc_review_items::agreed,
        ))
        .load(conn)
}

/// Every review, newest first (the QC page's list).
pub fn recent_reviews(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<QcReview>> {
    qc_reviews::table
        .order(qc_reviews::id.desc())
        .limit(limit)
        .select(QcReview::as_select())
        .load(conn)
}

/// The stored draft of a user's abstract form: (form data as JSON, when saved).
pub fn draft(
    conn: &mut DbConn,
    user_id: i64,
    tumor_id: i64,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    abstract_drafts::table
        .filter(abstract_drafts::user_id.eq(user_id))
        .filter(abstract_drafts::tumor_id.eq(tumor_id))
        .select((abstract_drafts::data, abstract_drafts::saved_at))
        .first(conn)
        .optional()
}

/// Stores (or replaces) a user's draft of an abstract (call inside a transaction).
pub fn put_draft(conn: &mut DbConn, user_id: i64, tumor_id: i64, data: &str) -> QueryResult<()> {
    let updated = diesel::update(
        abstract_drafts::table
            .filter(abstract_drafts::user_id.eq(user_id))
            .filter(abstract_drafts::tumor_id.eq(tumor_id)),
    )
    .set((
        abstract_drafts::data.eq(data),
        abstract_drafts::saved_at.eq(super::now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(abstract_drafts::table)
            .values((
                abstract_drafts::user_id.eq(user_id),
                abstract_drafts::tumor_id.eq(tumor_id),
                abstract_drafts::data.eq(data),
                abstract_drafts::saved_at.eq(super::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes a user's draft of an abstract; true when there was one.
pub fn clear_draft(conn: &mut DbConn, user_id: i64, tumor_id: i64) -> QueryResult<bool> {
    diesel::delete(
        abstract_drafts::table
            .filter(abstract_drafts::user_id.eq(user_id))
            .filter(abstract_drafts::tumor_id.eq(tumor_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
