//! Citizens propose petitions from their phone (`/o/{org}/propose`): what they
//! witnessed, a photo, where, who can fix it. Proposals wait for staff moderation;
//! the author is e-mailed on receipt and on the decision.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::petition::ProposalInput;
use relais_store::{Org, Petition};

use crate::extract::{ClientIp, Lang, Upload};
use crate::render::{Brand, Chrome, Errors, page, refused};
use crate::routes::auth::link_message;
use crate::{AppError, AppState, Shared};

#[derive(Template)]
#[template(path = "propose.html")]
struct ProposeTemplate {
    c: Chrome,
    org: Org,
    errors: Errors,
    input: ProposalInput,
}

async fn org_of(state: &AppState, slug: &str) -> Result<Org, AppError> {
    state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound)
}

fn form(state: &AppState, org: Org, lang: Lang, errors: Errors, input: ProposalInput) -> ProposeTemplate {
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(t.clone(), t.get("propose-title"), &format!("/o/{}/propose", org.slug));
    c.brand = Some(Brand::of(&org));
    ProposeTemplate { c, org, errors, input }
}

/// `GET /o/{slug}/propose`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let org = org_of(&state, &slug).await?;
    page(&form(&state, org, lang, Errors::default(), ProposalInput::default()))
}

/// `POST /o/{slug}/propose` (multipart: the fields and an optional `photo`).
pub(crate) async fn submit(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let org = org_of(&state, &slug).await?;
    state.limits.proposals(ip)?;
    let upload = Upload::read(multipart, "photo").await?;
    if !upload.field("website").is_empty() {
        return Ok(Redirect::to(&format!("/o/{}/propose/thanks", org.slug)).into_response());
    }
    let input = ProposalInput {
        title: upload.field("title"),
        description: upload.field("description"),
        target_name: upload.field("target_name"),
        postcode: upload.field("postcode"),
        lat: upload.field("lat"),
        lon: upload.field("lon"),
        first_name: upload.field("first_name"),
        last_name: upload.field("last_name"),
        email: upload.field("email"),
    };
    let locale = lang.or(org.locale());
    let t = state.tr(locale);
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let suffix = &relais_store::random_token()[..6];
    let mut errors = match input.parse(today, suffix) {
        Ok(proposal) => {
            // The photo is checked before anything is stored: a bad file refuses the whole form.
            let photo = match upload
                .file
                .clone()
                .map(|bytes| tokio::task::spawn_blocking(move || crate::images::photo_sizes(&bytes)))
            {
                Some(task) => match task.await.map_err(|e| AppError::Internal(format!("photo task: {e}")))? {
                    Ok(sizes) => Some(sizes),
                    Err(crate::images::ImageError::TooLarge) => {
                        return refused(&form(
                            &state,
                            org,
                            lang,
                            Errors::one("photo", t.get("err-photo-size")),
                            input,
                        ));
                    }
                    Err(crate::images::ImageError::Unreadable) => {
                        return refused(&form(
                            &state,
                            org,
                            lang,
                            Errors::one("photo", t.get("err-logo-type")),
                            input,
                        ));
                    }
                },
                None => None,
            };
            let messages = proposal_messages(&state, &org, &proposal, locale)?;
            let petition = state
                .store
                .propose_petition(org.id, &proposal, &messages, crate::now())
                .await?;
            if let Some(sizes) = photo {
                attach_photo(&state, &org, &petition, &sizes).await?;
            }
            return Ok(Redirect::to(&format!("/o/{}/propose/thanks", org.slug)).into_response());
        }
        Err(errors) => Errors::from_fields(&t, &errors),
    };
    if upload.file.is_some() {
        // Phones cannot re-attach a photo to a refused form: say so next to the field.
        errors = errors.with("photo", t.get("propose-photo-again"));
    }
    refused(&form(&state, org, lang, errors, input))
}

async fn attach_photo(
    state: &AppState,
    org: &Org,
    petition: &Petition,
    sizes: &[(u32, Vec<u8>)],
) -> Result<(), AppError> {
    let media = state.config.data_dir.join("media");
    let base = crate::images::save_photo(&media, petition.id, sizes)
        .await
        .map_err(|e| AppError::Internal(format!("saving photo: {e}")))?;
    let access = state.store.operator_access(&org.slug).await?;
    state
        .store
        .set_petition_image(&access, petition.id, Some(&base), crate::now())
        .await?;
    Ok(())
}

fn proposal_messages(
    state: &AppState,
    org: &Org,
    p: &relais_core::petition::Proposal,
    locale: relais_core::Locale,
) -> Result<Vec<relais_store::NewMessage>, AppError> {
    let nonce = relais_store::random_token();
    let org_link = state.config.link(&format!("/o/{}", org.slug));
    let ack = link_message(
        state,
        p.author_email.as_str(),
        locale,
        format!("proposal-ack:{nonce}"),
        Some((org.id, org.name.clone())),
        |t| {
            (
                t.arg("email-proposal-subject", "title", &p.draft.title),
                t.args("email-proposal-intro", &[("title", &p.draft.title), ("org", &org.name)]),
                t.arg("email-proposal-button", "org", &org.name),
            )
        },
        org_link,
    )?;
    let mut messages = vec![ack];
    // Staff hear of it at the association's contact address, in its language.
    if let Ok(contact) = relais_core::Email::parse(&org.contact_email) {
        let admin_link = state.config.link("/admin/petitions");
        messages.push(link_message(
            state,
            contact.as_str(),
            org.locale(),
            format!("proposal-staff:{nonce}"),
            Some((org.id, org.name.clone())),
            |t| {
                (
                    t.arg("email-moderate-subject", "title", &p.draft.title),
                    t.args(
                        "email-moderate-intro",
                        &[("title", &p.draft.title), ("author", &p.author_name)],
                    ),
                    t.get("email-moderate-button"),
                )
            },
            admin_link,
        )?);
    }
    Ok(messages)
}

/// `GET /o/{slug}/propose/thanks`.
pub(crate) async fn thanks(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    #[derive(Template)]
    #[template(path = "message.html")]
    struct Thanks {
        c: Chrome,
        text: String,
        offer_new_link: bool,
        new_link_action: &'static str,
    }
    let org = org_of(&state, &slug).await?;
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(
        t.clone(),
        t.get("propose-thanks-title"),
        &format!("/o/{}/propose/thanks", org.slug),
    );
    c.brand = Some(Brand::of(&org));
    page(&Thanks {
        text: t.arg("propose-thanks-text", "org", &org.name),
        c,
        offer_new_link: false,
        new_link_action: "",
    })
}
