//! The Privacy page: what the agent sends from a phone and what never
//! leaves it, from agent-core's privacy inventory (the same source as
//! `posture-agent privacy` and the app's privacy screen), so that IT sees
//! exactly what staff are told. `?lang=cy` shows the Welsh staff read.

use agent_core::l10n::Locale;
use agent_core::privacy::{Payload, inventory};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::ConsoleError;
use super::auth::require_session;
use super::views::{self, PrivacyPage, PrivacyPayload, PrivacyRow};
use crate::collector::Collector;

/// The language asked for (`?lang=cy`); English without one. A language
/// the agent does not speak is refused, not shown in English unasked.
fn language(uri: &Uri) -> Result<Locale, String> {
    let asked = uri
        .query()
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    match asked {
        None => Ok(Locale::En),
        Some(tag) => Locale::parse(&tag).map_err(|e| e.to_string()),
    }
}

/// The page for `locale`.
pub(crate) fn build(csrf: String, locale: Locale, error: String) -> PrivacyPage {
    let inv = inventory(locale);
    let payloads = Payload::ALL
        .iter()
        .filter_map(|payload| {
            let rows: Vec<PrivacyRow> = inv
                .fields
                .iter()
                .filter(|f| f.payload == *payload)
                .map(|f| PrivacyRow {
                    path: f.path.clone(),
                    members: f.members.join(", "),
                    category: f.category_name.clone(),
                    what: f.what.clone(),
                    why: f.why.clone(),
                })
                .collect();
            let name = inv.fields.iter().find(|f| f.payload == *payload)?;
            Some(PrivacyPayload {
                id: views::name(payload),
                name: name.payload_name.clone(),
                rows,
            })
        })
        .collect();
    PrivacyPage {
        title: "Privacy",
        nav: "privacy",
        csrf,
        lang: locale.tag(),
        languages: Locale::ALL
            .iter()
            .map(|l| (l.tag(), l.own_name(), *l == locale))
            .collect(),
        summary: inv.summary,
        sent_heading: agent_core::l10n::text(locale, "privacy-leaflet-sent"),
        never_heading: agent_core::l10n::text(locale, "privacy-leaflet-never"),
        payloads,
        never_collected: inv.never_collected,
        error,
    }
}

/// `GET /console/privacy[?lang=en|cy]`.
pub(crate) async fn page(State(c): State<Collector>, uri: Uri, headers: HeaderMap) -> Response {
    let result = async {
        let session = require_session(&c, &headers).await?;
        Ok::<_, ConsoleError>(match language(&uri) {
            Ok(locale) => views::page(&build(session.csrf, locale, String::new())),
            Err(e) => {
                views::page_with(StatusCode::BAD_REQUEST, &build(session.csrf, Locale::En, e))
            }
        })
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
