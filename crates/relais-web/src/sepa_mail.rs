//! The e-mails of direct debit, rendered when they leave: the confirmation of a
//! mandate just signed (its reference, the creditor, what will be taken) and the
//! advance notice of each debit (amount, date), which the SEPA rules require.

use std::sync::Arc;

use relais_core::Locale;
use relais_core::iban::Iban;
use relais_core::money::Money;
use relais_messaging::DeliveryError;
use relais_store::{DynStore, Gift, Mandate, Org, OutboxMessage, Payload};

use crate::WebConfig;
use crate::gift_mail::GiftMessage;
use crate::i18n::{Catalogues, Tr};
use crate::post_mail::transient;

/// What both letters share: the association, the donor's language, the stop
/// link of a monthly gift and the `/me` link.
struct Context {
    org: Org,
    t: Tr,
    creditor_id: String,
    stop: Option<String>,
    me: String,
}

async fn context(
    store: &DynStore,
    signer: &relais_core::token::LinkSigner,
    config: &WebConfig,
    catalogues: &Arc<Catalogues>,
    gift: &Gift,
) -> Result<Option<Context>, DeliveryError> {
    let Some(org) = store.org_by_id(gift.org_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let settings = store.payment_settings(org.id).await.map_err(transient)?;
    let t = Tr::new(
        Arc::clone(catalogues),
        Locale::parse(&gift.locale).unwrap_or(Locale::Fr),
    );
    let stop = crate::gift_mail::stop_line(store, signer, config, &t, gift).await?;
    let me = t.arg(
        "me-link",
        "url",
        &crate::routes::me::me_link(signer, config, org.id, gift.supporter_id, crate::now()),
    );
    Ok(Some(Context {
        creditor_id: settings.sepa_creditor_id,
        t,
        stop,
        me,
        org,
    }))
}

impl Context {
    /// The creditor as the mandate names it: the legal name when there is one.
    fn creditor(&self) -> &str {
        if self.org.legal_name.is_empty() {
            &self.org.name
        } else {
            &self.org.legal_name
        }
    }
}

fn account(m: &Mandate) -> String {
    Iban::parse(&m.iban).map_or_else(|_| String::new(), |i| i.masked())
}

/// The first gift collected on a mandate (the one the donor signed it for).
async fn first_gift(store: &DynStore, mandate: &Mandate, recipient: &str) -> Result<Option<Gift>, DeliveryError> {
    let gift = store.first_gift_of_mandate(mandate.id).await.map_err(transient)?;
    Ok(gift.filter(|g| g.email == recipient))
}

/// The confirmation of mandate `mandate_id`.
pub(crate) async fn render_mandate(
    store: &DynStore,
    signer: &relais_core::token::LinkSigner,
    config: &WebConfig,
    catalogues: &Arc<Catalogues>,
    message: &OutboxMessage,
    mandate_id: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let Some(mandate) = store.mandate_by_id(mandate_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let Some(gift) = first_gift(store, &mandate, &message.recipient).await? else {
        return Ok(None);
    };
    let Some(cx) = context(store, signer, config, catalogues, &gift).await? else {
        return Ok(None);
    };
    let t = &cx.t;
    let amount = Money::from_cents(gift.amount_cents).format(t.locale);
    let m = GiftMessage {
        subject: t.args(
            "mandate-mail-subject",
            &[("org", &cx.org.name), ("reference", &mandate.reference)],
        ),
        greeting: t.arg("post-mail-hello", "name", gift.first_name.trim()),
        lead: t.args(
            if gift.pledge_id.is_some() {
                "mandate-mail-monthly"
            } else {
                "mandate-mail-once"
            },
            &[
                ("amount", &amount),
                ("account", &account(&mandate)),
                ("org", &cx.org.name),
            ],
        ),
        thanks: t.args(
            "mandate-mail-details",
            &[
                ("reference", &mandate.reference),
                ("creditor", cx.creditor()),
                ("creditor_id", &cx.creditor_id),
                ("holder", &mandate.debtor_name),
            ],
        ),
        stop: cx.stop.clone(),
        footer: t.arg("gift-mail-footer", "org", &cx.org.name),
        me: cx.me.clone(),
        ..Default::default()
    };
    Ok(Some(m.payload(t, &cx.org, Vec::new())?))
}

/// The advance notice of the debit of gift `gift_id`.
pub(crate) async fn render_debit_notice(
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
    // A debit rejected or dropped since the run was prepared is not announced.
    if gift.status != "pending" || gift.email != message.recipient {
        return Ok(None);
    }
    let (Some(mandate), Some(run)) = (
        store.mandate_of_gift(gift.id).await.map_err(transient)?,
        store.run_of_gift(gift.id).await.map_err(transient)?,
    ) else {
        return Ok(None);
    };
    let Some(cx) = context(store, signer, config, catalogues, &gift).await? else {
        return Ok(None);
    };
    let t = &cx.t;
    let amount = Money::from_cents(gift.amount_cents).format(t.locale);
    let date = run
        .collection_date
        .parse::<jiff::civil::Date>()
        .map(|d| {
            d.strftime(if t.locale == Locale::Fr { "%d/%m/%Y" } else { "%Y-%m-%d" })
                .to_string()
        })
        .unwrap_or(run.collection_date.clone());
    let m = GiftMessage {
        subject: t.args(
            "debit-mail-subject",
            &[("org", &cx.org.name), ("amount", &amount), ("date", &date)],
        ),
        greeting: t.arg("post-mail-hello", "name", gift.first_name.trim()),
        lead: t.args(
            "debit-mail-lead",
            &[("amount", &amount), ("date", &date), ("account", &account(&mandate))],
        ),
        thanks: t.args(
            "mandate-mail-details",
            &[
                ("reference", &mandate.reference),
                ("creditor", cx.creditor()),
                ("creditor_id", &cx.creditor_id),
                ("holder", &mandate.debtor_name),
            ],
        ),
        stop: cx.stop.clone(),
        footer: t.arg("gift-mail-footer", "org", &cx.org.name),
        me: cx.me.clone(),
        ..Default::default()
    };
    Ok(Some(m.payload(t, &cx.org, Vec::new())?))
}
