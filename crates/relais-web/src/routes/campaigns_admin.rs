//! Donation campaigns in the back office: the list with what each raised, the
//! latest gifts, and the form that creates a campaign.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::gift::CampaignInput;
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{Campaign, Gift, StoreError};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/campaigns.html")]
struct CampaignsTemplate {
    c: Chrome,
    campaigns: Vec<(Campaign, String)>,
    gifts: Vec<(Gift, String, String)>,
    csrf: String,
    errors: Errors,
    input: CampaignInput,
    can_edit: bool,
    base: String,
}

async fn campaigns_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: &[FieldError],
    input: CampaignInput,
    done: &Done,
) -> Result<CampaignsTemplate, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "campaigns-title",
        "/admin/campaigns",
        "campaigns",
    );
    c.notice = done.notice(&c.t);
    let locale = c.t.locale;
    let campaigns = state
        .store
        .campaigns(access)
        .await?
        .into_iter()
        .map(|k| {
            let raised = k.raised.format(locale);
            (k, raised)
        })
        .collect();
    // Donors' names are personal data: editors and above.
    let gifts = if staff.can(Permission::EditContent) {
        state
            .store
            .gifts(access, 50)
            .await?
            .into_iter()
            .map(|g| {
                let amount = Money::from_cents(g.amount_cents).format(locale);
                let when = local_time(g.created_at, &org.timezone);
                (g, amount, when)
            })
            .collect()
    } else {
        Vec::new()
    };
    let errors = Errors::from_fields(&c.t, errors);
    Ok(CampaignsTemplate {
        campaigns,
        gifts,
        csrf: staff.session.csrf.clone(),
        errors,
        input,
        can_edit: staff.can(Permission::EditContent),
        base: state.config.link("/d/"),
        c,
    })
}

/// `GET /admin/campaigns`.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let input = CampaignInput {
        once: "on".into(),
        amounts: "20, 50, 100".into(),
        ..Default::default()
    };
    page(&campaigns_page(&state, &staff, lang, &[], input, &done).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct CreateForm {
    csrf: String,
    #[serde(flatten)]
    input: CampaignInput,
}

/// `POST /admin/campaigns`: creates and publishes a campaign.
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let draft = match form.input.parse() {
        Ok(d) => d,
        Err(errors) => {
            return refused(&campaigns_page(&state, &staff, lang, &errors, form.input, &Done::default()).await?);
        }
    };
    match state.store.create_campaign(access, &draft, true, crate::now()).await {
        Ok(_) => Ok(Redirect::to("/admin/campaigns?done=saved").into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = [FieldError::new("slug", "err-slug-taken")];
            refused(&campaigns_page(&state, &staff, lang, &errors, form.input, &Done::default()).await?)
        }
        Err(e) => Err(e.into()),
    }
}
