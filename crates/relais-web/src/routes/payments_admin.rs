//! `/admin/payments`: how the association is paid (its Stripe account, its SEPA
//! creditor details), and its monthly donors, whom staff can stop on request.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::iban::{Bic, CreditorId, Iban};
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_store::{PaymentSettings, Pledge};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// The form. Secrets are never sent back to the browser: an empty field keeps
/// the stored value, `forget_stripe` removes it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PaymentsForm {
    pub csrf: String,
    pub stripe_secret_key: String,
    pub stripe_webhook_secret: String,
    pub forget_stripe: String,
    pub sepa_creditor_id: String,
    pub sepa_iban: String,
    pub sepa_bic: String,
    /// `per_gift` or `annual`.
    pub receipt_mode: String,
    /// The largest gift taken, in euros; empty: the default cap.
    pub max_gift: String,
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsTemplate {
    c: Chrome,
    csrf: String,
    errors: Errors,
    form: PaymentsForm,
    stripe_configured: bool,
    webhook_url: String,
    pledges: Vec<(Pledge, String, String)>,
    can_settings: bool,
}

impl PaymentsTemplate {
    fn value(&self, field: &str) -> &str {
        match field {
            "sepa_creditor_id" => &self.form.sepa_creditor_id,
            "sepa_iban" => &self.form.sepa_iban,
            "sepa_bic" => &self.form.sepa_bic,
            _ => "",
        }
    }
}

async fn payments_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: Errors,
    form: Option<PaymentsForm>,
    done: &Done,
) -> Result<PaymentsTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "payments-title",
        "/admin/payments",
        "campaigns",
    );
    c.notice = match done.done.as_deref() {
        Some("stopped") => Some(c.t.get("pledge-stopped-staff")),
        _ => done.notice(&c.t),
    };
    let settings = state.store.payment_settings(org.id).await?;
    let form = form.unwrap_or_else(|| PaymentsForm {
        sepa_creditor_id: settings.sepa_creditor_id.clone(),
        sepa_iban: settings.sepa_iban.clone(),
        sepa_bic: settings.sepa_bic.clone(),
        receipt_mode: settings.receipt_mode.clone(),
        max_gift: settings
            .max_gift_cents
            .map(|c| crate::routes::donate::amount_value(Money::from_cents(c)))
            .unwrap_or_default(),
        ..Default::default()
    });
    let locale = c.t.locale;
    let pledges = state
        .store
        .pledges(access, 200)
        .await?
        .into_iter()
        .map(|p| {
            let amount = Money::from_cents(p.amount_cents).format(locale);
            let since = local_time(p.activated_at.unwrap_or(p.created_at), &org.timezone);
            (p, amount, since)
        })
        .collect();
    Ok(PaymentsTemplate {
        csrf: staff.session.csrf.clone(),
        errors,
        form,
        stripe_configured: settings.stripe_enabled(),
        webhook_url: state.config.link(&format!("/webhooks/stripe/{}", org.slug)),
        pledges,
        can_settings: staff.can(Permission::ManageSettings),
        c,
    })
}

/// `GET /admin/payments`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(&payments_page(&state, &staff, lang, Errors::default(), None, &done).await?)
}

/// Checks the form against what is stored; field errors name the form's fields.
fn checked(
    form: &PaymentsForm,
    stored: &PaymentSettings,
) -> Result<PaymentSettings, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let mut out = stored.clone();
    if !form.forget_stripe.is_empty() {
        out.stripe_secret_key.clear();
        out.stripe_webhook_secret.clear();
    } else {
        let key = form.stripe_secret_key.trim();
        if !key.is_empty() {
            if key.starts_with("sk_") || key.starts_with("rk_") {
                out.stripe_secret_key = key.to_owned();
            } else {
                errors.push(("stripe_secret_key", "payments-stripe-key-invalid"));
            }
        }
        let secret = form.stripe_webhook_secret.trim();
        if !secret.is_empty() {
            if secret.starts_with("whsec_") {
                out.stripe_webhook_secret = secret.to_owned();
            } else {
                errors.push(("stripe_webhook_secret", "payments-webhook-secret-invalid"));
            }
        }
        if out.stripe_secret_key.is_empty() != out.stripe_webhook_secret.is_empty() {
            errors.push(("stripe_webhook_secret", "payments-stripe-both"));
        }
    }
    let sepa = [&form.sepa_creditor_id, &form.sepa_iban, &form.sepa_bic];
    if sepa.iter().all(|f| f.trim().is_empty()) {
        out.sepa_creditor_id.clear();
        out.sepa_iban.clear();
        out.sepa_bic.clear();
    } else {
        match CreditorId::parse(&form.sepa_creditor_id) {
            Ok(id) => out.sepa_creditor_id = id.as_str().to_owned(),
            Err(_) => errors.push(("sepa_creditor_id", "payments-creditor-invalid")),
        }
        match Iban::parse(&form.sepa_iban) {
            Ok(iban) => out.sepa_iban = iban.as_str().to_owned(),
            Err(_) => errors.push(("sepa_iban", "mandate-iban-invalid")),
        }
        match Bic::parse(&form.sepa_bic) {
            Ok(bic) => out.sepa_bic = bic.as_str().to_owned(),
            Err(_) => errors.push(("sepa_bic", "mandate-bic-invalid")),
        }
    }
    out.receipt_mode = if form.receipt_mode == "annual" {
        "annual"
    } else {
        "per_gift"
    }
    .to_owned();
    out.max_gift_cents = None;
    if !form.max_gift.trim().is_empty() {
        match relais_core::money::parse_amount(&form.max_gift) {
            Ok(m) if m >= relais_core::gift::MIN_GIFT && m <= relais_core::gift::MAX_GIFT => {
                out.max_gift_cents = Some(m.cents());
            }
            _ => errors.push(("max_gift", "payments-max-gift-invalid")),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// `POST /admin/payments`.
pub(crate) async fn save(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<PaymentsForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let stored = state.store.payment_settings(access.org_id()).await?;
    match checked(&form, &stored) {
        Ok(settings) => {
            state
                .store
                .save_payment_settings(access, &settings, crate::now())
                .await?;
            tracing::info!(org = access.org_id(), settings = ?settings, "payment settings saved");
            Ok(Redirect::to("/admin/payments?done=saved").into_response())
        }
        Err(fields) => {
            let t = state.tr(lang.or(state.store.org(access).await?.locale()));
            let mut errors = Errors::default();
            for (field, id) in fields {
                errors = errors.with(field, t.get(id));
            }
            // The secrets typed are not shown again.
            let form = PaymentsForm {
                stripe_secret_key: String::new(),
                stripe_webhook_secret: String::new(),
                ..form
            };
            refused(&payments_page(&state, &staff, lang, errors, Some(form), &Done::default()).await?)
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /admin/pledges/{reference}/stop`: a donor asked staff (by phone, by letter).
pub(crate) async fn stop(
    State(state): State<Shared>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let pledge = state
        .store
        .pledge_by_ref(&reference)
        .await?
        .filter(|p| p.org_id == access.org_id())
        .ok_or(AppError::NotFound)?;
    crate::routes::pledge_stop::cancel(&state, &pledge, "staff").await?;
    Ok(Redirect::to("/admin/payments?done=stopped").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_secrets_stay_when_the_fields_are_left_empty() {
        let stored = PaymentSettings {
            stripe_secret_key: "sk_test_1".into(),
            stripe_webhook_secret: "whsec_1".into(),
            ..Default::default()
        };
        let kept = checked(&PaymentsForm::default(), &stored).expect("valid");
        assert_eq!(kept.stripe_secret_key, "sk_test_1");
        let forgotten = checked(
            &PaymentsForm {
                forget_stripe: "on".into(),
                ..Default::default()
            },
            &stored,
        )
        .expect("valid");
        assert!(!forgotten.stripe_enabled());
    }

    #[test]
    fn bad_keys_and_half_sepa_details_are_refused() {
        let form = PaymentsForm {
            stripe_secret_key: "pk_live_1".into(),
            sepa_iban: "FR76 3000 6000 0112 3456 7890 189".into(),
            ..Default::default()
        };
        let fields: Vec<&str> = checked(&form, &PaymentSettings::default())
            .expect_err("refused")
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["stripe_secret_key", "sepa_creditor_id", "sepa_bic"]);
    }
}
