//! The thank-you e-mail of a paid gift, rendered when the worker sends it: the
//! amount, the campaign's thanks, what the gift costs after tax reduction, and the
//! tax receipt as a PDF attachment when the donor asked for one.

use std::sync::Arc;

use askama::Template;
use relais_core::Locale;
use relais_core::money::{Money, cost_after_reduction};
use relais_messaging::DeliveryError;
use relais_store::{Attachment, DynStore, Org, OutboxMessage, Payload};

use crate::WebConfig;
use crate::i18n::{Catalogues, Tr};
use crate::post_mail::transient;

/// Reduction of income tax for gifts to associations of general interest (article
/// 200 of the CGI): 66 %. The 75 % rate for aid to people in difficulty is an
/// association setting still to come.
pub(crate) const TAX_REDUCTION_PERCENT: u32 = 66;

#[derive(Template)]
#[template(path = "emails/gift.txt", escape = "none")]
struct GiftText<'a> {
    m: &'a GiftMessage,
}

#[derive(Template)]
#[template(path = "emails/gift.html")]
struct GiftHtml<'a> {
    t: &'a Tr,
    m: &'a GiftMessage,
}

/// A letter to a donor (thanks, receipt, mandate, debit notice): one layout.
#[derive(Default)]
pub(crate) struct GiftMessage {
    pub subject: String,
    pub greeting: String,
    pub lead: String,
    pub thanks: String,
    pub receipt: Option<String>,
    pub tax: Option<String>,
    pub monthly: Option<String>,
    /// How to stop a monthly gift: a link in every e-mail about it.
    pub stop: Option<String>,
    pub footer: String,
    pub me: String,
}

impl GiftMessage {
    /// The e-mail, from the association, with `attachments`.
    pub(crate) fn payload(&self, t: &Tr, org: &Org, attachments: Vec<Attachment>) -> Result<Payload, DeliveryError> {
        Ok(Payload {
            subject: self.subject.clone(),
            text: GiftText { m: self }.render().map_err(permanent)?,
            html: Some(GiftHtml { t, m: self }.render().map_err(permanent)?),
            from_name: Some(org.name.clone()),
            reply_to: Some(org.contact_email.clone()).filter(|e| !e.is_empty()),
            list_unsubscribe: None,
            deferred: None,
            attachments,
        })
    }
}

pub(crate) fn permanent(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Permanent(e.to_string())
}

/// The line with the link that stops the monthly gift `gift` belongs to, while
/// it runs: every e-mail about a monthly gift carries it.
pub(crate) async fn stop_line(
    store: &DynStore,
    signer: &relais_core::token::LinkSigner,
    config: &WebConfig,
    t: &Tr,
    gift: &relais_store::Gift,
) -> Result<Option<String>, DeliveryError> {
    let Some(id) = gift.pledge_id else {
        return Ok(None);
    };
    let pledge = store.pledge(id).await.map_err(transient)?;
    Ok(pledge.filter(|p| p.status == "active").map(|p| {
        let link = crate::routes::pledge_stop::stop_link(signer, config, &p.reference, crate::now());
        t.arg("gift-mail-stop", "url", &link)
    }))
}

/// Renders the thank-you e-mail of gift `gift_id`; `None` when the gift is gone.
pub(crate) async fn render(
    store: &DynStore,
    signer: &relais_core::token::LinkSigner,
    config: &WebConfig,
    catalogues: &Arc<Catalogues>,
    message: &OutboxMessage,
    gift_id: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let Some(gift) = store.gift(gift_id).await.map_err(transient)? else {
        return Ok(None);
    };
    if gift.status != "paid" || gift.email != message.recipient {
        return Ok(None);
    }
    let Some(org) = store.org_by_id(gift.org_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let campaign = match gift.campaign_id {
        Some(id) => store.campaign(id).await.map_err(transient)?,
        None => None,
    };
    let receipt = store.receipt_of(gift.id).await.map_err(transient)?;
    let locale = Locale::parse(&gift.locale).unwrap_or(Locale::Fr);
    let t = Tr::new(Arc::clone(catalogues), locale);
    let amount = Money::from_cents(gift.amount_cents);
    let paid = crate::render::local_time(gift.paid_at.unwrap_or(gift.created_at), &org.timezone);
    let mut lead = t.args(
        "gift-mail-lead",
        &[
            ("amount", &amount.format(locale)),
            ("date", paid.get(..10).unwrap_or(&paid)),
        ],
    );
    if let (Some(operator), tip) = (&config.tip_operator, gift.tip_cents)
        && tip > 0
    {
        let thanks = t.args(
            "donate-tip-thanks",
            &[("tip", &Money::from_cents(tip).format(locale)), ("operator", operator)],
        );
        lead = format!("{lead} {thanks}");
    }
    let stop = stop_line(store, signer, config, &t, &gift).await?;
    let m = GiftMessage {
        subject: t.arg("gift-mail-subject", "org", &org.name),
        greeting: t.arg("post-mail-hello", "name", gift.first_name.trim()),
        lead,
        thanks: campaign.as_ref().map(|c| c.thanks.clone()).unwrap_or_default(),
        receipt: receipt
            .as_ref()
            .map(|r| t.arg("gift-mail-receipt", "number", &r.number)),
        tax: (org.tax_eligible && receipt.is_some()).then(|| {
            t.args(
                "gift-mail-tax",
                &[
                    ("rate", &TAX_REDUCTION_PERCENT.to_string()),
                    (
                        "cost",
                        &cost_after_reduction(amount, TAX_REDUCTION_PERCENT).format(locale),
                    ),
                ],
            )
        }),
        monthly: (gift.frequency == "monthly").then(|| t.get("gift-mail-monthly")),
        stop,
        footer: t.arg("gift-mail-footer", "org", &org.name),
        me: t.arg(
            "me-link",
            "url",
            &crate::routes::me::me_link(signer, config, org.id, gift.supporter_id, crate::now()),
        ),
    };
    let mut attachments = Vec::new();
    if let Some(receipt) = &receipt {
        let pdf = crate::receipts::pdf(&org, std::slice::from_ref(&gift), receipt, None).map_err(permanent)?;
        attachments.push(Attachment {
            name: format!("recu-fiscal-{}.pdf", receipt.number),
            content_type: "application/pdf".into(),
            bytes: pdf,
        });
    }
    Ok(Some(m.payload(&t, &org, attachments)?))
}

/// Renders the e-mail of a receipt issued on its own (an annual summary, or the
/// replacement of a cancelled receipt) with the PDF; `None` when it was cancelled
/// since, or its donor's address changed.
pub(crate) async fn render_receipt(
    store: &DynStore,
    signer: &relais_core::token::LinkSigner,
    config: &WebConfig,
    catalogues: &Arc<Catalogues>,
    message: &OutboxMessage,
    receipt_id: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let Some(receipt) = store.receipt_by_id(receipt_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let gifts = store.receipt_gifts(&receipt).await.map_err(transient)?;
    let Some(donor) = gifts.last() else {
        return Ok(None);
    };
    if receipt.cancelled_at.is_some() || donor.email != message.recipient {
        return Ok(None);
    }
    let Some(org) = store.org_by_id(receipt.org_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let replaced = match receipt.replaces_id {
        Some(id) => store.receipt_by_id(id).await.map_err(transient)?.map(|r| r.number),
        None => None,
    };
    let locale = Locale::parse(&donor.locale).unwrap_or(Locale::Fr);
    let t = Tr::new(Arc::clone(catalogues), locale);
    let amount = Money::from_cents(receipt.amount_cents);
    let lead = match &replaced {
        Some(old) => t.args("receipt-mail-replaces", &[("number", &receipt.number), ("old", old)]),
        None => t.args(
            "receipt-mail-annual",
            &[
                ("year", &receipt.year.to_string()),
                ("amount", &amount.format(locale)),
                ("count", &gifts.len().to_string()),
            ],
        ),
    };
    let m = GiftMessage {
        subject: t.args(
            "receipt-mail-subject",
            &[("org", &org.name), ("number", &receipt.number)],
        ),
        greeting: t.arg("post-mail-hello", "name", donor.first_name.trim()),
        lead,
        thanks: String::new(),
        receipt: Some(t.arg("gift-mail-receipt", "number", &receipt.number)),
        tax: org.tax_eligible.then(|| {
            t.args(
                "gift-mail-tax",
                &[
                    ("rate", &TAX_REDUCTION_PERCENT.to_string()),
                    (
                        "cost",
                        &cost_after_reduction(amount, TAX_REDUCTION_PERCENT).format(locale),
                    ),
                ],
            )
        }),
        monthly: None,
        stop: None,
        footer: t.arg("gift-mail-footer", "org", &org.name),
        me: t.arg(
            "me-link",
            "url",
            &crate::routes::me::me_link(signer, config, org.id, donor.supporter_id, crate::now()),
        ),
    };
    let pdf = crate::receipts::pdf(&org, &gifts, &receipt, replaced.as_deref()).map_err(permanent)?;
    Ok(Some(m.payload(
        &t,
        &org,
        vec![Attachment {
            name: format!("recu-fiscal-{}.pdf", receipt.number),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }],
    )?))
}
