//! `/me/{token}`: a person's own space, reached from a signed link in any message
//! (no password): the story of each gift (where the money went, what happened
//! since on those projects) and of each signature, a map of the projects they
//! helped, their receipts, their consents with a switch for each, and a way to ask
//! for erasure. The token is the credential, so the path is cut from logs.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

use relais_core::money::Money;
use relais_core::token::LinkSigner;
use relais_store::{NewMessage, SelfAccess};

use crate::extract::{ClientIp, Lang};
use crate::render::{Brand, Chrome, page};
use crate::routes::me_story::{self, Days, Facts, GiftStory, PlaceLine, SignatureStory};
use crate::{AppError, AppState, Shared, WebConfig};

/// A `/me` link lasts a year: it comes in thank-you e-mails people keep.
const ME_LINK_DAYS: i64 = 365;

/// The signed link to a person's space.
pub(crate) fn me_link(signer: &LinkSigner, config: &WebConfig, org_id: i64, supporter_id: i64, now: i64) -> String {
    let token = signer.sign("me", &format!("{org_id}:{supporter_id}"), now + ME_LINK_DAYS * 86_400);
    config.link(&format!("/me/{token}"))
}

async fn access(state: &AppState, token: &str) -> Result<SelfAccess, AppError> {
    let claims = state
        .signer
        .verify("me", token, crate::now())
        .map_err(|_| AppError::NotFound)?;
    let (org, supporter) = claims.subject.split_once(':').ok_or(AppError::NotFound)?;
    let (org, supporter) = (
        org.parse::<i64>().map_err(|_| AppError::NotFound)?,
        supporter.parse::<i64>().map_err(|_| AppError::NotFound)?,
    );
    state.store.self_access(org, supporter).await?.ok_or(AppError::NotFound)
}

/// A monthly gift and, while it runs, the link that stops it.
struct PledgeRow {
    amount: String,
    since: String,
    active: bool,
    stop: String,
}

struct ConsentRow {
    purpose: String,
    label: String,
    granted: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MeTemplate {
    c: Chrome,
    name: String,
    token: String,
    /// "You gave 12 times and signed 3 petitions."
    summary: String,
    gifts: Vec<GiftStory>,
    /// Annual receipts (a gift's own receipt is on its row).
    annual: Vec<(String, String)>,
    pledges: Vec<PledgeRow>,
    signatures: Vec<SignatureStory>,
    places: Vec<PlaceLine>,
    map: Option<String>,
    consents: Vec<ConsentRow>,
    done: Option<String>,
}

async fn me_page(state: &AppState, token: &str, lang: Lang, done: Option<&str>) -> Result<Response, AppError> {
    let who = access(state, token).await?;
    let store = &state.store;
    let (org, person) = tokio::try_join!(store.org_by_id(who.org_id()), store.me(&who))?;
    let org = org.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(relais_core::Locale::parse(&person.locale).unwrap_or(org.locale())));
    let mut c = Chrome::new(t.clone(), t.get("me-title"), "/me");
    c.brand = Some(Brand::of(&org));
    let locale = t.locale;
    // A few set-based reads, side by side: the page costs the same round trips for
    // 5 contributions or 500.
    let (gifts, allocations, projects, news, signatures, posts, pledges, receipts, ledger) = tokio::try_join!(
        store.my_gifts(&who),
        store.my_allocations(&who),
        store.my_projects(&who),
        store.my_project_news(&who),
        store.my_signatures(&who),
        store.my_petition_news(&who),
        store.my_pledges(&who),
        store.my_receipts(&who),
        store.my_consents(&who),
    )?;
    let days = Days::new(&org.timezone, locale);
    let now = crate::now();
    let pledges = pledges
        .into_iter()
        .map(|p| PledgeRow {
            amount: Money::from_cents(p.amount_cents).format(locale),
            since: days.long(p.activated_at.unwrap_or(p.created_at)),
            active: p.status == "active",
            stop: crate::routes::pledge_stop::stop_link(&state.signer, &state.config, &p.reference, now),
        })
        .collect();
    let annual = receipts
        .into_iter()
        .filter(|r| r.kind == "annual")
        .map(|r| {
            let label = t.args(
                "me-annual-receipt",
                &[
                    ("number", &r.number),
                    ("year", &r.year.to_string()),
                    ("amount", &Money::from_cents(r.amount_cents).format(locale)),
                ],
            );
            (r.number, label)
        })
        .collect();
    // Each purpose's latest word, named for people. Petition purposes are named from
    // the signatures already read, so hundreds of them cost no query each.
    let titles: HashMap<i64, &str> = signatures.iter().map(|s| (s.petition_id, s.title.as_str())).collect();
    let mut consents: Vec<ConsentRow> = Vec::new();
    for entry in ledger {
        if entry.channel != "email" {
            continue;
        }
        match consents.iter_mut().find(|c| c.purpose == entry.purpose) {
            Some(row) => row.granted = entry.granted,
            None => consents.push(ConsentRow {
                label: match relais_core::post::petition_of_purpose(&entry.purpose).and_then(|id| titles.get(&id)) {
                    Some(title) => t.arg("person-consent-petition", "title", title),
                    None => purpose_label(state, &t, &org, &entry.purpose).await?,
                },
                purpose: entry.purpose,
                granted: entry.granted,
            }),
        }
    }
    let summary = t.args(
        "me-summary",
        &[
            ("gifts", &gifts.len().to_string()),
            ("signatures", &signatures.len().to_string()),
        ],
    );
    let stories = me_story::stories(
        &t,
        &days,
        Facts {
            gifts,
            allocations,
            projects,
            news,
            signatures,
            posts,
        },
    );
    let map = me_story::map_svg(&t, &stories.projects);
    let mut response = page(&MeTemplate {
        name: person.first_name.clone(),
        token: token.to_owned(),
        summary,
        gifts: stories.gifts,
        annual,
        pledges,
        signatures: stories.signatures,
        places: stories.places,
        map,
        consents,
        done: done.map(|id| t.get(id)),
        c,
    })?;
    // Personal: never cached, never sent on as a referrer.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A consent purpose in the reader's words: a petition's title, the newsletter,
/// or the stored purpose itself. People read titles; the ledger stores ids.
pub(crate) async fn purpose_label(
    state: &AppState,
    t: &crate::i18n::Tr,
    org: &relais_store::Org,
    purpose: &str,
) -> Result<String, AppError> {
    Ok(match relais_core::post::petition_of_purpose(purpose) {
        Some(id) => match state.store.petition_by_id(id).await?.filter(|p| p.org_id == org.id) {
            Some(p) => t.arg("person-consent-petition", "title", &p.title),
            None => purpose.to_owned(),
        },
        None if purpose == "newsletter" => t.arg("person-consent-newsletter", "org", &org.name),
        None if purpose == relais_core::impact::PURPOSE => t.get("person-consent-impact"),
        None => purpose.to_owned(),
    })
}

/// `GET /me/{token}[?done=consent]`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
    axum::extract::Query(done): axum::extract::Query<MeDone>,
) -> Result<Response, AppError> {
    let id = (done.done == "consent").then_some("me-consent-saved");
    me_page(&state, &token, lang, id).await
}

/// `GET /me/{token}/receipts/{number}.pdf`: one of the person's tax receipts.
pub(crate) async fn receipt(
    State(state): State<Shared>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let who = access(&state, &token).await?;
    let number = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    let (receipt, _) = state.store.my_receipt(&who, number).await?.ok_or(AppError::NotFound)?;
    let org = state.store.org_by_id(who.org_id()).await?.ok_or(AppError::NotFound)?;
    crate::receipts::download(&state, &org, &receipt).await
}

#[derive(serde::Deserialize)]
pub(crate) struct ConsentForm {
    purpose: String,
    action: String,
}

/// `POST /me/{token}/consents` (`purpose`, `action=withdraw|give`).
pub(crate) async fn consent(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let who = access(&state, &token).await?;
    // Only purposes the person already has in their ledger can be switched here,
    // on every channel they gave it on (impact news may come by e-mail or SMS).
    let mut channels: Vec<String> = state
        .store
        .my_consents(&who)
        .await?
        .into_iter()
        .filter(|c| c.purpose == form.purpose)
        .map(|c| c.channel)
        .collect();
    channels.sort();
    channels.dedup();
    if channels.is_empty() {
        return Err(AppError::BadRequest("unknown purpose".into()));
    }
    let granted = form.action == "give";
    let t = state.tr(lang.or(relais_core::Locale::Fr));
    for channel in &channels {
        state
            .store
            .record_consent(
                &relais_store::ConsentChange {
                    org_id: who.org_id(),
                    supporter_id: who.supporter_id(),
                    channel,
                    purpose: &form.purpose,
                    granted,
                    wording: &t.get(if granted {
                        "me-consent-give"
                    } else {
                        "me-consent-withdraw"
                    }),
                    source: "/me",
                    ip_hash: &state.signer.fingerprint(&ip.to_string()),
                },
                crate::now(),
            )
            .await?;
    }
    Ok(Redirect::to(&format!("/me/{token}?done=consent")).into_response())
}

/// `POST /me/{token}/erase`: the person asks to be forgotten. Staff are told (the
/// association decides, and keeps what the law requires, such as receipts); the
/// request is in the audit log.
pub(crate) async fn erase_request(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let who = access(&state, &token).await?;
    let org = state.store.org_by_id(who.org_id()).await?.ok_or(AppError::NotFound)?;
    let now = crate::now();
    let t = state.tr(org.locale());
    let link = state.config.link(&format!("/admin/people/{}", who.supporter_id()));
    let payload = crate::emails::LinkEmail {
        t: &t,
        subject: t.get("email-erase-request-subject"),
        intro: t.get("email-erase-request-intro"),
        button: t.get("email-erase-request-button"),
        link,
        from_name: None,
    }
    .payload()?;
    state
        .store
        .enqueue(
            &NewMessage {
                org_id: Some(org.id),
                channel: relais_store::Channel::Email,
                recipient: org.contact_email.clone(),
                payload,
                idempotency_key: format!("erase-request:{}:{}", who.supporter_id(), now / 86_400),
            },
            now,
        )
        .await?;
    state.store.audit_self(&who, "erase_requested", now).await?;
    me_page(&state, &token, lang, Some("me-erase-requested")).await
}

/// `?done=` after a change.
#[derive(serde::Deserialize, Default)]
pub(crate) struct MeDone {
    #[serde(default)]
    done: String,
}
