//! CSRF protection: a random token per browser session (in the encrypted session cookie), sent back
//! by every form as the hidden field `csrf_token` (or the `X-CSRF-Token` header from scripts). Any
//! POST/PUT/PATCH/DELETE without the matching token is refused with 403. A cross-site `Origin` is
//! refused too. The lab API (`/api/`) authenticates with bearer tokens and carries no cookies.

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use base64::Engine;
use rand::RngCore;

use super::SESSION_CSRF;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "X-CSRF-Token";

/// 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn form_value(body: &[u8], field: &str) -> Option<String> {
    form_urlencoded_pairs(body)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v)
}

/// Decodes `application/x-www-form-urlencoded` pairs.
fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let key = percent_decode(parts.next().unwrap_or_default());
            let value = percent_decode(parts.next().unwrap_or_default());
            (key, value)
        })
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => {
                let hex = input
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn refused(req: ServiceRequest, why: &str) -> ServiceResponse<BoxBody> {
    tracing::warn!(path = %req.path(), why, "request refused by CSRF check");
    let response = HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>Refused</title><h1>Refused</h1><p>The form was not sent from this \
             page or it expired ({why}). Go back, reload the page and send it again.</p>"
        ));
    req.into_response(response)
}

/// The middleware (`from_fn`).
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !is_unsafe(req.method()) || req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    // A browser names the page's origin on cross-site requests; it must be ours.
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    {
        let host = req.connection_info().host().to_string();
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin != "null" && origin_host != host {
            return Ok(refused(req, "cross-site origin"));
        }
    }
    let expected = req.get_session().get::<String>(SESSION_CSRF).ok().flatten();
    let Some(expected) = expected else {
        return Ok(refused(req, "no session token"));
    };
    let mut sent = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| form_value(req.query_string().as_bytes(), FORM_FIELD));
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if sent.is_none() && is_form {
        let body = req.extract::<web::Bytes>().await?;
        sent = form_value(&body, FORM_FIELD);
        req.set_payload(Payload::from(body));
    }
    match sent {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Some(_) => Ok(refused(req, "token does not match")),
        None => Ok(refused(req, "token missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_decode_and_tokens_compare() {
        let body = b"name=J%C3%B6rg+M&csrf_token=abc%2Ddef&x=";
        assert_eq!(form_value(body, "csrf_token").as_deref(), Some("abc-def"));
        assert_eq!(form_value(body, "name").as_deref(), Some("Jörg M"));
        assert_eq!(form_value(b"a=%zz%", "a").as_deref(), Some("%zz%"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_ne!(new_token(), new_token());
    }
}
