//! `/admin/gifts`: every gift with filters (campaign, status, method, period) and
//! the totals staff report on: by month, by campaign, by method.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_store::{Campaign, Gift, GiftFilter, GiftGroup, Org};

use crate::extract::Lang;
use crate::render::{Chrome, local_time, page};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Gifts per page of the list.
const PAGE: i64 = 100;

/// The filters as typed (a GET form: links to a filtered list can be shared).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct GiftsQuery {
    pub campaign: String,
    pub status: String,
    pub method: String,
    pub from: String,
    pub to: String,
    pub before: String,
}

pub(crate) const STATUSES: &[&str] = &["paid", "pending", "failed", "refunded"];
pub(crate) const METHODS: &[&str] = &["card", "sepa", "cheque", "cash", "transfer"];

/// Midnight of `date` in the association's time zone, as Unix seconds.
fn start_of(date: &str, org: &Org) -> Option<i64> {
    let day: jiff::civil::Date = date.trim().parse().ok()?;
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    day.to_zoned(zone).ok().map(|z| z.timestamp().as_second())
}

impl GiftsQuery {
    /// The store's filter. Unknown values mean "any"; the status defaults to paid,
    /// what staff count; `to` includes its whole day.
    pub(crate) fn filter(&self, org: &Org) -> GiftFilter {
        let pick = |v: &str, allowed: &[&str]| allowed.contains(&v).then(|| v.to_owned());
        GiftFilter {
            campaign_id: self.campaign.parse().ok(),
            status: if self.status.is_empty() {
                Some("paid".into())
            } else {
                pick(&self.status, STATUSES)
            },
            method: pick(&self.method, METHODS),
            from: start_of(&self.from, org),
            to: self
                .to
                .trim()
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.tomorrow().ok())
                .and_then(|d| start_of(&d.to_string(), org)),
            timezone: org.timezone.clone(),
        }
    }
}

struct Total {
    label: String,
    gifts: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "admin/gifts.html")]
struct GiftsTemplate {
    c: Chrome,
    q: GiftsQuery,
    campaigns: Vec<Campaign>,
    statuses: &'static [&'static str],
    methods: &'static [&'static str],
    gifts: Vec<(Gift, String, String)>,
    summary: String,
    /// Totals by month, campaign and method, each under its heading's message id.
    tables: Vec<(&'static str, Vec<Total>)>,
    older: Option<String>,
    csrf: String,
    can_refund: bool,
}

impl GiftsTemplate {
    fn campaign_chosen(&self, id: i64) -> bool {
        self.q.campaign == id.to_string()
    }
}

/// `GET /admin/gifts`.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(q): Query<GiftsQuery>,
) -> Result<Response, AppError> {
    // Donors' names are personal data: editors and above, as on the campaigns page.
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "gifts-title",
        "/admin/gifts",
        "campaigns",
    );
    let locale = c.t.locale;
    let filter = q.filter(&org);
    let before = q.before.parse().unwrap_or(i64::MAX);
    let gifts = state.store.search_gifts(access, &filter, before, PAGE).await?;
    let totals = state.store.gift_totals(access, &filter).await?;
    let rows = |groups: Vec<GiftGroup>, label: &dyn Fn(String) -> String| -> Vec<Total> {
        groups
            .into_iter()
            .map(|g| Total {
                label: label(g.label),
                gifts: g.gifts,
                amount: Money::from_cents(g.cents).format(locale),
            })
            .collect()
    };
    let method_label = |m: String| {
        if METHODS.contains(&m.as_str()) {
            c.t.get(&format!("gift-method-{m}"))
        } else {
            m
        }
    };
    let by_method = rows(totals.by_method, &method_label);
    let older = (gifts.len() as i64 == PAGE).then(|| {
        let last = gifts.last().map_or(0, |g| g.id);
        let keep = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("campaign", &q.campaign)
            .append_pair("status", &q.status)
            .append_pair("method", &q.method)
            .append_pair("from", &q.from)
            .append_pair("to", &q.to)
            .append_pair("before", &last.to_string())
            .finish();
        format!("/admin/gifts?{keep}")
    });
    page(&GiftsTemplate {
        campaigns: state.store.campaigns(access).await?,
        statuses: STATUSES,
        methods: METHODS,
        gifts: gifts
            .into_iter()
            .map(|g| {
                let amount = Money::from_cents(g.amount_cents).format(locale);
                let when = local_time(g.paid_at.unwrap_or(g.created_at), &org.timezone);
                (g, amount, when)
            })
            .collect(),
        summary: match (&state.config.tip_operator, totals.tips_cents) {
            (Some(operator), tips) if tips > 0 => c.t.args(
                "gifts-summary-tips",
                &[
                    ("count", &totals.gifts.to_string()),
                    ("total", &Money::from_cents(totals.cents).format(locale)),
                    ("tips", &Money::from_cents(tips).format(locale)),
                    ("operator", operator),
                ],
            ),
            _ => c.t.args(
                "gifts-summary",
                &[
                    ("count", &totals.gifts.to_string()),
                    ("total", &Money::from_cents(totals.cents).format(locale)),
                ],
            ),
        },
        tables: vec![
            ("gifts-by-month", rows(totals.by_month, &|l| l)),
            ("gifts-by-campaign", rows(totals.by_campaign, &|l| l)),
            ("gifts-by-method", by_method),
        ],
        older,
        csrf: staff.session.csrf.clone(),
        can_refund: staff.can(Permission::ManageSettings),
        q,
        c,
    })
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct RefundForm {
    csrf: String,
}

/// `POST /admin/gifts/{id}/refund`: gives a gift back. A one-off card gift is
/// refunded through Stripe; other gifts were returned by the association itself
/// (a cheque sent back, a transfer), which this records. Either way the gift no
/// longer counts and its receipt is cancelled.
pub(crate) async fn refund(
    State(state): State<Shared>,
    staff: Staff,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::Form(form): axum::Form<RefundForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let gift = state
        .store
        .gift(id)
        .await?
        .filter(|g| g.org_id == access.org_id())
        .ok_or(AppError::NotFound)?;
    if gift.status != "paid" {
        return Err(AppError::BadRequest("only a paid gift can be refunded".into()));
    }
    if gift.provider == "stripe" {
        let Some(payment) = &gift.provider_payment else {
            return Err(AppError::BadRequest(
                "a monthly card gift is refunded in Stripe's dashboard; Relais records it when Stripe tells".into(),
            ));
        };
        let settings = state.store.payment_settings(access.org_id()).await?;
        crate::payments::stripe(&state, &settings)
            .refund(payment)
            .await
            .map_err(|e| AppError::Internal(format!("refund at Stripe: {e}")))?;
    }
    match state
        .store
        .refund_gift(access, gift.id, "refunded by staff", crate::now())
        .await
    {
        // Stripe's notice of the refund may have been recorded first.
        Ok(_) | Err(relais_store::StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(org = access.org_id(), gift = gift.id, "gift refunded");
    Ok(axum::response::Redirect::to("/admin/gifts?status=refunded").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        Org {
            id: 1,
            slug: "amis".into(),
            name: "Amis".into(),
            contact_email: String::new(),
            primary_color: String::new(),
            accent_color: String::new(),
            logo_path: None,
            legal_name: String::new(),
            rna: String::new(),
            siren: String::new(),
            address: String::new(),
            purpose: String::new(),
            tax_eligible: false,
            timezone: "Europe/Paris".into(),
            default_locale: "fr".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn dates_are_whole_days_in_the_associations_time_zone() {
        let q = GiftsQuery {
            from: "2027-01-01".into(),
            to: "2027-01-31".into(),
            ..Default::default()
        };
        let f = q.filter(&org());
        // Paris is UTC+1 in winter: the day starts at 23:00 UTC the day before.
        assert_eq!(f.from, Some(1_798_758_000));
        assert_eq!(f.to, Some(1_798_758_000 + 31 * 86_400));
        assert_eq!(f.status.as_deref(), Some("paid"), "paid gifts by default");
    }

    #[test]
    fn unknown_values_mean_any_in_the_associations_months() {
        let q = GiftsQuery {
            status: "all".into(),
            method: "bitcoin".into(),
            campaign: "x".into(),
            from: "hier".into(),
            ..Default::default()
        };
        let any = GiftFilter {
            timezone: "Europe/Paris".into(),
            ..Default::default()
        };
        assert_eq!(q.filter(&org()), any);
    }
}
