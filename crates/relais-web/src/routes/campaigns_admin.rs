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
    /// The offline gift form, as typed when refused.
    offline: OfflineForm,
    today: String,
    /// The association's projects a new campaign can be restricted to: `(id, title)`.
    projects: Vec<(i64, String)>,
    /// The project chosen on the new campaign form (its id), or empty.
    project: String,
    /// Each restricted campaign's project title, by campaign id, for the list.
    restricted_to: std::collections::HashMap<i64, String>,
}

impl CampaignsTemplate {
    /// The title of the project campaign `id` is restricted to.
    fn project_of(&self, id: &i64) -> Option<&str> {
        self.restricted_to.get(id).map(String::as_str)
    }

    /// Whether `campaign` is restricted to project `id` (the move form's choice).
    fn is_project_of(&self, campaign: &Campaign, id: &i64) -> bool {
        campaign.project_id == Some(*id)
    }
}

async fn campaigns_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: &[FieldError],
    (input, project): (CampaignInput, &str),
    offline: OfflineForm,
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
    c.notice = match done.done.as_deref() {
        Some("offline") => Some(c.t.get("offline-saved")),
        _ => done.notice(&c.t),
    };
    let locale = c.t.locale;
    let campaigns: Vec<(Campaign, String)> = state
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
    let projects: Vec<(i64, String)> = state
        .store
        .projects(access)
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let restricted_to = campaigns
        .iter()
        .filter_map(|(k, _): &(Campaign, String)| {
            let title = projects.iter().find(|(id, _)| Some(*id) == k.project_id)?;
            Some((k.id, title.1.clone()))
        })
        .collect();
    Ok(CampaignsTemplate {
        projects,
        project: project.to_owned(),
        restricted_to,
        campaigns,
        gifts,
        csrf: staff.session.csrf.clone(),
        errors,
        input,
        can_edit: staff.can(Permission::EditContent),
        base: state.config.link("/d/"),
        offline,
        today: crate::routes::petitions_admin::today(&org).to_string(),
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
        monthly: "on".into(),
        amounts: "20, 50, 100".into(),
        ..Default::default()
    };
    let offline = OfflineForm {
        method: "cheque".into(),
        ..Default::default()
    };
    page(&campaigns_page(&state, &staff, lang, &[], (input, ""), offline, &done).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct CreateForm {
    csrf: String,
    /// The project every gift goes to (its id); empty: unrestricted.
    #[serde(default)]
    project: String,
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
    // Only the association's own projects: the list the form offers.
    let project = match form.project.trim() {
        "" => Ok(None),
        raw => match raw.parse::<i64>() {
            Ok(id) => match state.store.project(access, id).await {
                Ok(p) => Ok(Some(p.id)),
                Err(StoreError::NotFound) => Err(FieldError::new("project", "err-required")),
                Err(e) => return Err(e.into()),
            },
            Err(_) => Err(FieldError::new("project", "err-required")),
        },
    };
    let draft = match (form.input.parse(), project) {
        (Ok(mut d), Ok(project_id)) => {
            d.project_id = project_id;
            d
        }
        (parsed, project) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(project.err());
            return refused(
                &campaigns_page(
                    &state,
                    &staff,
                    lang,
                    &errors,
                    (form.input, &form.project),
                    OfflineForm::default(),
                    &Done::default(),
                )
                .await?,
            );
        }
    };
    match state.store.create_campaign(access, &draft, true, crate::now()).await {
        Ok(_) => Ok(Redirect::to("/admin/campaigns?done=saved").into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = [FieldError::new("slug", "err-campaign-slug-taken")];
            refused(
                &campaigns_page(
                    &state,
                    &staff,
                    lang,
                    &errors,
                    (form.input, &form.project),
                    OfflineForm::default(),
                    &Done::default(),
                )
                .await?,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// A gift received outside Relais (cheque, cash, transfer), as staff type it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct OfflineForm {
    pub campaign: String,
    pub method: String,
    pub received_on: String,
    #[serde(flatten)]
    pub gift: relais_core::gift::GiftInput,
}

#[derive(serde::Deserialize)]
pub(crate) struct OfflineSubmit {
    csrf: String,
    #[serde(flatten)]
    form: OfflineForm,
}

/// `POST /admin/gifts/offline`: records a cheque, cash or a transfer as a paid gift,
/// with its receipt when asked; a donor without an e-mail address gets the receipt
/// from staff (`/admin/gifts/{id}/receipt.pdf`).
pub(crate) async fn offline(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(submit): Form<OfflineSubmit>,
) -> Result<Response, AppError> {
    staff.check_csrf(&submit.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let form = submit.form;
    let mut errors = Vec::new();
    let campaign = match form.campaign.parse::<i64>() {
        Ok(id) => state.store.campaigns(access).await?.into_iter().find(|c| c.id == id),
        Err(_) => None,
    };
    if campaign.is_none() {
        errors.push(FieldError::new("campaign", "err-required"));
    }
    let method = match form.method.as_str() {
        m @ ("cheque" | "cash" | "transfer") => m,
        _ => {
            errors.push(FieldError::new("method", "err-required"));
            "cheque"
        }
    };
    let today = crate::routes::petitions_admin::today(&org);
    let received = match form.received_on.trim().parse::<jiff::civil::Date>() {
        Ok(d) if d <= today => Some(d),
        Ok(_) => {
            errors.push(FieldError::new("received_on", "err-date-future"));
            None
        }
        Err(_) => {
            errors.push(FieldError::new("received_on", "err-date"));
            None
        }
    };
    let mut input = form.gift.clone();
    if input.email.trim().is_empty() {
        // No address: a placeholder no message is ever sent to.
        input.email = format!("offline-{}@no-email.invalid", &relais_store::random_token()[..12]);
    }
    if !org.tax_eligible {
        input.receipt = String::new();
    }
    let locale = lang.or(org.locale());
    let draft = input.parse(
        &[relais_core::gift::Frequency::Once],
        Money::from_cents(1),
        relais_core::gift::MAX_GIFT,
        locale,
    );
    let draft = match (draft, campaign, received) {
        (Ok(d), Some(c), Some(r)) if errors.is_empty() => (d, c, r),
        (draft, _, _) => {
            errors.extend(draft.err().unwrap_or_default());
            return refused(
                &campaigns_page(
                    &state,
                    &staff,
                    lang,
                    &errors,
                    (CampaignInput::default(), ""),
                    form,
                    &Done::default(),
                )
                .await?,
            );
        }
    };
    let (draft, campaign, received) = draft;
    let paid_at = crate::routes::offline_batches_admin::noon_of(received, &org);
    let reference = format!("offline_{}", relais_store::random_token());
    let t = state.tr(locale);
    state
        .store
        .start_gift(
            &relais_store::NewGift {
                campaign: &campaign,
                draft: &draft,
                locale: locale.code(),
                provider: "offline",
                method,
                provider_ref: &reference,
                newsletter_wording: &t.arg("sign-consent-newsletter", "org", &org.name),
                impact_wording: "",
                pledge_ref: None,
                tip_cents: 0,
            },
            crate::now(),
        )
        .await?;
    state.store.complete_gift_at(&reference, paid_at, crate::now()).await?;
    Ok(Redirect::to("/admin/campaigns?done=offline").into_response())
}

/// `GET /admin/gifts/{id}/receipt.pdf`: a gift's receipt, for staff (to post it).
pub(crate) async fn receipt(
    State(state): State<Shared>,
    staff: Staff,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let gift = state
        .store
        .gift(id)
        .await?
        .filter(|g| g.org_id == access.org_id())
        .ok_or(AppError::NotFound)?;
    let receipt = state.store.receipt_of(gift.id).await?.ok_or(AppError::NotFound)?;
    crate::receipts::download(&state, &org, &receipt).await
}

/// Gifts per page of the accountant's export.
const EXPORT_PAGE: i64 = 1_000;

/// `GET /admin/gifts.csv`: every paid or refunded gift with its receipt number,
/// for the accountant (semicolon-separated, amounts with a decimal comma, as French
/// spreadsheets read them), streamed page by page.
pub(crate) async fn export_csv(State(state): State<Shared>, staff: Staff) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?.clone();
    let org = state.store.org(&access).await?;
    state
        .store
        .audit(&access, Some(staff.user.id), "export_gifts", "all", crate::now())
        .await?;
    let campaigns: std::collections::HashMap<i64, String> = state
        .store
        .campaigns(&access)
        .await?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    let store = state.store.clone();
    let tz = org.timezone.clone();
    Ok(crate::csv_export::stream(
        "dons.csv",
        EXPORT_PAGE,
        move |after| {
            let (store, access) = (store.clone(), access.clone());
            async move { store.gifts_page(&access, after, EXPORT_PAGE).await }
        },
        move |rows: &[(Gift, Option<String>)], first| {
            let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
            let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
            if first {
                w.write_record([
                    "date",
                    "receipt",
                    "first_name",
                    "last_name",
                    "email",
                    "address",
                    "postcode",
                    "city",
                    "country",
                    "amount_eur",
                    "method",
                    "frequency",
                    "campaign",
                    "status",
                ])
                .map_err(fail)?;
            }
            for (g, receipt) in rows {
                let day = local_time(g.paid_at.unwrap_or(g.created_at), &tz);
                let cents = g.amount_cents;
                let amount = format!("{},{:02}", cents / 100, cents % 100);
                let campaign = g
                    .campaign_id
                    .and_then(|id| campaigns.get(&id))
                    .cloned()
                    .unwrap_or_default();
                let email = if g.email.ends_with(".invalid") {
                    ""
                } else {
                    g.email.as_str()
                };
                w.write_record([
                    day.get(..10).unwrap_or_default(),
                    receipt.as_deref().unwrap_or_default(),
                    &g.first_name,
                    &g.last_name,
                    email,
                    &g.address,
                    &g.postcode,
                    &g.city,
                    &g.country,
                    &amount,
                    &g.method,
                    &g.frequency,
                    &campaign,
                    &g.status,
                ])
                .map_err(fail)?;
            }
            w.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))
        },
        |(g, _)| g.id,
        "gifts",
    ))
}
