//! Impact messages, rendered when the worker sends them: the news of a project
//! told to each contributor with their own share of it ("Your 30 € of 3 March
//! helped…"), and the outcome of one gift reported by the association's system.
//! Each asks the ledger again, writes in the reader's language, and carries a
//! one-click way out of impact messages on the channel it travels by.

use std::sync::Arc;

use askama::Template;
use relais_core::Locale;
use relais_core::impact::{self, Achievement, ImpactChannel, Words};
use relais_core::money::Money;
use relais_core::token::LinkSigner;
use relais_messaging::DeliveryError;
use relais_store::{Channel, DynStore, ImpactRecipient, Org, OutboxMessage, Payload};

use crate::WebConfig;
use crate::gift_mail::permanent;
use crate::i18n::{Catalogues, Tr};
use crate::post_mail::{Links, transient};

/// What the renderers share.
pub(crate) struct Ctx<'a> {
    pub store: &'a DynStore,
    pub signer: &'a LinkSigner,
    pub config: &'a WebConfig,
    pub catalogues: &'a Arc<Catalogues>,
}

/// A catalogue message with its arguments, in `t`'s language.
pub(crate) fn say(t: &Tr, words: &Words) -> String {
    let args: Vec<(&str, &str)> = words.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t.args(words.id, &args)
}

#[derive(Template)]
#[template(path = "emails/impact.txt", escape = "none")]
struct ImpactText<'a> {
    t: &'a Tr,
    m: &'a ImpactMessage,
}

#[derive(Template)]
#[template(path = "emails/impact.html")]
struct ImpactHtml<'a> {
    t: &'a Tr,
    m: &'a ImpactMessage,
}

/// Everything one impact message says, in its reader's language.
pub(crate) struct ImpactMessage {
    pub subject: String,
    pub greeting: String,
    /// The personal sentence.
    pub sentence: String,
    /// The news itself (e-mail only).
    pub body_text: String,
    pub body_html: String,
    pub image_url: Option<String>,
    /// The project's page, if the message is about one.
    pub project_url: Option<String>,
    pub reason: String,
    pub stop_url: String,
    pub me_url: String,
    pub org_name: String,
}

impl ImpactMessage {
    /// The message for its channel: an e-mail with the news, or a text with the
    /// sentence and two links.
    fn payload(&self, t: &Tr, org: &Org, channel: Channel) -> Result<Payload, DeliveryError> {
        Ok(match channel {
            Channel::Sms => Payload {
                text: sms_text(t, self),
                from_name: Some(org.name.clone()),
                ..Default::default()
            },
            Channel::Email => Payload {
                subject: self.subject.clone(),
                text: ImpactText { t, m: self }.render().map_err(permanent)?,
                html: Some(ImpactHtml { t, m: self }.render().map_err(permanent)?),
                from_name: Some(org.name.clone()),
                reply_to: Some(org.contact_email.clone()).filter(|e| !e.is_empty()),
                list_unsubscribe: Some(self.stop_url.clone()),
                ..Default::default()
            },
        })
    }
}

/// A text message: who writes, the sentence, the project, the way out. The `/me`
/// link stays in e-mails: each link costs a text-message part.
fn sms_text(t: &Tr, m: &ImpactMessage) -> String {
    let mut text = format!("{} : {}", m.org_name, m.sentence);
    if t.locale == Locale::En {
        text = format!("{}: {}", m.org_name, m.sentence);
    }
    if let Some(url) = &m.project_url {
        text.push_str(&format!(" {} {url}", t.get("impact-sms-see")));
    }
    text.push_str(&format!(" {} {}", t.get("impact-sms-stop"), m.stop_url));
    text
}

fn channel_of(message: &OutboxMessage) -> ImpactChannel {
    match message.channel {
        Channel::Sms => ImpactChannel::Sms,
        Channel::Email => ImpactChannel::Email,
    }
}

fn greeting(t: &Tr, who: &ImpactRecipient) -> String {
    if who.first_name.trim().is_empty() {
        t.get("email-hello")
    } else {
        t.arg("post-mail-hello", "name", who.first_name.trim())
    }
}

/// The way out of impact messages on the channel this one travels by.
fn stop_url(links: &Links<'_>, channel: ImpactChannel) -> String {
    match channel {
        ImpactChannel::Email => links.unsubscribe(impact::PURPOSE),
        ImpactChannel::Sms => links.unsubscribe_sms(impact::PURPOSE),
    }
}

fn today_in(zone: &jiff::tz::TimeZone) -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(zone.clone()).date()
}

/// The recipient of a queued impact message, if they may still receive it on
/// its channel at its address.
async fn recipient(
    ctx: &Ctx<'_>,
    message: &OutboxMessage,
    supporter_id: i64,
) -> Result<Option<ImpactRecipient>, DeliveryError> {
    let who = ctx.store.impact_recipient(supporter_id).await.map_err(transient)?;
    Ok(who.filter(|w| w.may_receive(channel_of(message), &message.recipient) && Some(w.org_id) == message.org_id))
}

/// Renders the news `update_id` for contributor `supporter_id`; `None` when it must
/// not leave any more (consent withdrawn, news deleted, gifts refunded).
pub(crate) async fn render_update(
    ctx: &Ctx<'_>,
    message: &OutboxMessage,
    update_id: i64,
    supporter_id: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let Some((update, project)) = ctx.store.impact_update_context(update_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let Some(who) = recipient(ctx, message, supporter_id).await? else {
        return Ok(None);
    };
    let Some(org) = ctx.store.org_by_id(project.org_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let Some(share) = ctx
        .store
        .project_share(project.id, supporter_id)
        .await
        .map_err(transient)?
    else {
        return Ok(None);
    };
    let locale = Locale::parse(&who.locale).unwrap_or(Locale::Fr);
    let t = Tr::new(Arc::clone(ctx.catalogues), locale);
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = crate::now();
    let links = Links {
        signer: ctx.signer,
        config: ctx.config,
        org_id: org.id,
        supporter_id,
        topic: impact::update_topic(update_id),
        now,
    };
    let channel = channel_of(message);
    let stage_name = |s: relais_core::project::Stage| t.get(&format!("impact-stage-{}", s.as_str()));
    let (lead, achieved) = impact::update_sentence(
        &share.contribution(&zone),
        &project.title,
        Achievement::of(update.figures.as_deref(), update.stage),
        &stage_name,
        today_in(&zone),
        locale,
    );
    let page = ctx.config.link(&format!("/projects/{}", project.slug));
    let m = ImpactMessage {
        subject: t.arg("impact-mail-subject", "project", &project.title),
        greeting: greeting(&t, &who),
        sentence: format!("{}{}", say(&t, &lead), say(&t, &achieved)),
        body_text: update.body.clone(),
        body_html: relais_core::markdown::to_safe_html_with_links(&update.body, |url| links.tracked(url)),
        image_url: update
            .photo_base
            .as_ref()
            .map(|base| ctx.config.link(&format!("/media/{base}-600.jpg"))),
        // A text message's link stays short and plain; an e-mail's counts the click.
        project_url: Some(match channel {
            ImpactChannel::Sms => page,
            ImpactChannel::Email => links.tracked(&format!("{page}?utm_source=email")),
        }),
        reason: t.get("impact-mail-reason"),
        stop_url: stop_url(&links, channel),
        me_url: crate::routes::me::me_link(ctx.signer, ctx.config, org.id, supporter_id, now),
        org_name: org.name.clone(),
    };
    m.payload(&t, &org, message.channel).map(Some)
}

/// Renders outcome `outcome_id` for the donor of its gift; `None` when it must
/// not leave any more.
pub(crate) async fn render_outcome(
    ctx: &Ctx<'_>,
    message: &OutboxMessage,
    outcome_id: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let Some(outcome) = ctx.store.outcome(outcome_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let Some(gift) = ctx.store.gift(outcome.gift_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let Some(who) = recipient(ctx, message, outcome.supporter_id).await? else {
        return Ok(None);
    };
    let Some(org) = ctx.store.org_by_id(outcome.org_id).await.map_err(transient)? else {
        return Ok(None);
    };
    let locale = Locale::parse(&who.locale).unwrap_or(Locale::Fr);
    let t = Tr::new(Arc::clone(ctx.catalogues), locale);
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = crate::now();
    let given_on = jiff::Timestamp::from_second(gift.paid_at.unwrap_or(gift.created_at))
        .map(|ts| ts.to_zoned(zone.clone()).date())
        .unwrap_or_default();
    let used_on = outcome.used_on.parse().map_err(permanent)?;
    let checked = impact::Outcome {
        message: outcome.message.clone(),
        used_on,
    };
    let words = impact::outcome_sentence(
        &checked,
        Money::from_cents(gift.amount_cents),
        given_on,
        today_in(&zone),
        locale,
    );
    let links = Links {
        signer: ctx.signer,
        config: ctx.config,
        org_id: org.id,
        supporter_id: outcome.supporter_id,
        topic: format!("outcome:{}", outcome.id),
        now,
    };
    let m = ImpactMessage {
        subject: t.get("impact-outcome-subject"),
        greeting: greeting(&t, &who),
        sentence: say(&t, &words),
        body_text: String::new(),
        body_html: String::new(),
        image_url: None,
        project_url: None,
        reason: t.get("impact-mail-reason"),
        stop_url: stop_url(&links, channel_of(message)),
        me_url: crate::routes::me::me_link(ctx.signer, ctx.config, org.id, outcome.supporter_id, now),
        org_name: org.name.clone(),
    };
    m.payload(&t, &org, message.channel).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(locale: Locale) -> (Tr, ImpactMessage) {
        let t = Tr::new(Arc::new(Catalogues::load()), locale);
        let contribution = impact::Contribution {
            amount: Money::from_cents(3_000),
            first_gift: jiff::civil::date(2026, 3, 3),
            gifts: 1,
        };
        let figure = relais_core::project::Figure {
            label: if locale == Locale::Fr {
                "personnes servies".into()
            } else {
                "people served".into()
            },
            value: 450,
            unit: String::new(),
        };
        let stage_name = |s: relais_core::project::Stage| t.get(&format!("impact-stage-{}", s.as_str()));
        let (lead, achieved) = impact::update_sentence(
            &contribution,
            "Puits de Kpalimé",
            Achievement::Figure(&figure),
            &stage_name,
            jiff::civil::date(2026, 11, 27),
            locale,
        );
        let m = ImpactMessage {
            subject: t.arg("impact-mail-subject", "project", "Puits de Kpalimé"),
            greeting: t.arg("post-mail-hello", "name", "Jeanne"),
            sentence: format!("{}{}", say(&t, &lead), say(&t, &achieved)),
            body_text: "L’eau coule.".into(),
            body_html: "<p>L’eau coule.</p>".into(),
            image_url: None,
            project_url: Some("https://relais.example/projects/puits".into()),
            reason: t.get("impact-mail-reason"),
            stop_url: "https://relais.example/u/TOKEN".into(),
            me_url: "https://relais.example/me/TOKEN".into(),
            org_name: "Les Amis du Puits".into(),
        };
        (t, m)
    }

    #[test]
    fn the_personal_sentence_in_french_and_english() {
        let (_, m) = message(Locale::Fr);
        assert_eq!(
            m.sentence,
            "Vos 30,00\u{a0}€ du 3\u{a0}mars ont aidé « Puits de Kpalimé »\u{a0}: désormais 450 personnes servies."
        );
        let (_, m) = message(Locale::En);
        assert_eq!(
            m.sentence,
            "Your €30.00 of 3\u{a0}March helped “Puits de Kpalimé”: it now counts 450 people served."
        );
    }

    #[test]
    fn a_text_message_carries_the_sentence_the_project_and_the_way_out() {
        let (t, m) = message(Locale::Fr);
        let text = sms_text(&t, &m);
        assert!(text.starts_with("Les Amis du Puits : Vos 30,00"), "{text}");
        assert!(
            text.ends_with("Voir : https://relais.example/projects/puits Stop SMS : https://relais.example/u/TOKEN"),
            "{text}"
        );
    }

    #[test]
    fn an_email_has_the_news_the_links_and_one_click_unsubscribe() {
        let (t, m) = message(Locale::En);
        let org = Org {
            id: 1,
            slug: "amis".into(),
            name: "Les Amis du Puits".into(),
            contact_email: "contact@amis.example".into(),
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
            default_locale: "en".into(),
            created_at: 0,
            updated_at: 0,
        };
        let p = m.payload(&t, &org, Channel::Email).unwrap();
        assert_eq!(p.subject, "What your gift achieved: Puits de Kpalimé");
        assert_eq!(p.list_unsubscribe.as_deref(), Some("https://relais.example/u/TOKEN"));
        assert!(p.text.contains("L’eau coule."), "{}", p.text);
        assert!(p.text.contains("https://relais.example/me/TOKEN"), "{}", p.text);
        let html = p.html.unwrap();
        assert!(html.contains("<p>L’eau coule.</p>") && html.contains("href=\"https://relais.example/u/TOKEN\""));
    }
}
