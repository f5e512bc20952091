//! Messages staff write to a segment, as e-mails: rendered for each person when the
//! worker sends the copy (the ledger asked again, merge fields filled in the
//! person's language, links counted through `/r/…`, a visible way out that is also
//! the RFC 8058 one-click header), and for the test staff send themselves.

use std::sync::Arc;

use askama::Template;
use relais_core::Locale;
use relais_core::message::{MergeValues, RenderedMessage};
use relais_messaging::DeliveryError;
use relais_store::{Message, Org, OutboxMessage, Payload};

use crate::gift_mail::permanent;
use crate::i18n::Tr;
use crate::impact_mail::Ctx;
use crate::post_mail::{Links, transient};
use crate::render_cache::RenderCache;

/// Messages being sent, with their association, recently read.
pub(crate) type MessageCache = RenderCache<(Message, Org)>;

#[derive(Template)]
#[template(path = "emails/message.txt", escape = "none")]
struct MessageText<'a> {
    t: &'a Tr,
    m: &'a Mail,
}

#[derive(Template)]
#[template(path = "emails/message.html")]
struct MessageHtml<'a> {
    t: &'a Tr,
    m: &'a Mail,
}

/// One copy, ready for its templates.
pub(crate) struct Mail {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Why the reader receives it.
    pub reason: String,
    /// Their way out; `None` in a test, which has no reader of its own.
    pub unsubscribe_url: Option<String>,
    pub org_name: String,
    /// Set on the copy staff send themselves.
    pub test: bool,
}

/// Why a person receives a message for `purpose`.
pub(crate) fn reason(t: &Tr, purpose: &str, org: &Org) -> String {
    let id = if purpose == relais_core::impact::PURPOSE {
        "message-mail-reason-impact"
    } else {
        "message-mail-reason-newsletter"
    };
    t.arg(id, "org", &org.name)
}

impl Mail {
    pub(crate) fn new(t: &Tr, rendered: RenderedMessage, message: &Message, org: &Org) -> Self {
        Self {
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            reason: reason(t, &message.draft.purpose, org),
            unsubscribe_url: None,
            org_name: org.name.clone(),
            test: false,
        }
    }

    /// The e-mail: a text part, the HTML part when the message has one.
    pub(crate) fn payload(&self, t: &Tr, org: &Org) -> Result<Payload, DeliveryError> {
        let html = match &self.html {
            Some(_) => Some(MessageHtml { t, m: self }.render().map_err(permanent)?),
            None => None,
        };
        Ok(Payload {
            subject: if self.test {
                t.arg("message-test-subject", "subject", &self.subject)
            } else {
                self.subject.clone()
            },
            text: MessageText { t, m: self }.render().map_err(permanent)?,
            html,
            from_name: Some(org.name.clone()),
            reply_to: Some(org.contact_email.clone()).filter(|e| !e.is_empty()),
            list_unsubscribe: self.unsubscribe_url.clone(),
            deferred: None,
            attachments: Vec::new(),
        })
    }
}

/// Renders one copy of a message for `supporter`; `None` when it must not leave
/// any more (consent withdrawn, person erased, address changed, message gone).
pub(crate) async fn render(
    ctx: &Ctx<'_>,
    cache: &MessageCache,
    outbox: &OutboxMessage,
    message_id: i64,
    supporter: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let load = async {
        let Some(message) = ctx.store.message_by_id(message_id).await.map_err(transient)? else {
            return Ok(None);
        };
        let org = ctx.store.org_by_id(message.org_id).await.map_err(transient)?;
        Ok(org.map(|org| (message, org)))
    };
    let Some(found) = cache.get(message_id, load).await? else {
        return Ok(None);
    };
    let (message, org) = &*found;
    let Some(who) = ctx
        .store
        .message_recipient(message, supporter)
        .await
        .map_err(transient)?
    else {
        return Ok(None);
    };
    if !who.deliverable || who.email != outbox.recipient {
        return Ok(None);
    }
    let locale = Locale::parse(&who.locale).unwrap_or(Locale::Fr);
    let t = Tr::new(Arc::clone(ctx.catalogues), locale);
    let now = crate::now();
    let links = Links {
        signer: ctx.signer,
        config: ctx.config,
        org_id: org.id,
        supporter_id: who.supporter_id,
        topic: relais_core::message::topic(message.id),
        now,
    };
    let values = MergeValues {
        first_name: &who.first_name,
        last_name: &who.last_name,
        email: &who.email,
        postcode: &who.postcode,
    };
    let rendered = relais_core::message::render(&message.draft, &values, locale, |url| links.tracked(url));
    let mut mail = Mail::new(&t, rendered, message, org);
    mail.unsubscribe_url = Some(links.unsubscribe_from_message(&message.draft.purpose, message.id));
    mail.payload(&t, org).map(Some)
}
