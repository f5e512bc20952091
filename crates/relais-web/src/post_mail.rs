//! The e-mails of petition posts (updates, responses, victories, milestones),
//! rendered when the worker delivers them: each one checks the consent ledger
//! again, greets its reader in their language, routes its links through Relais to
//! count clicks, and carries a one-click unsubscribe link of its own.

use std::sync::Arc;

use askama::Template;
use relais_core::Locale;
use relais_core::post::PostKind;
use relais_core::token::LinkSigner;
use relais_messaging::{DeliveryError, Renderer};
use relais_store::{Deferred, DynStore, Org, OutboxMessage, Payload, Petition, Post, PostRecipient};

use crate::WebConfig;
use crate::i18n::{Catalogues, Tr};
use crate::render_cache::RenderCache;
use crate::routes::petition::format_count;
use crate::routes::share::ShareLink;

/// Links in messages outlive the messages: an unsubscribe link must still work
/// in an e-mail found years later.
const UNSUBSCRIBE_LINK_DAYS: i64 = 5 * 365;
/// Counting clicks matters for a while after sending; the redirect must keep
/// working far longer, so an expired click link still redirects (uncounted).
const CLICK_LINK_DAYS: i64 = 365;

/// What every message of one post shares.
struct PostContext {
    post: Post,
    petition: Petition,
    org: Org,
}

/// The [`Renderer`] the worker uses.
pub struct PostMailer {
    store: DynStore,
    signer: LinkSigner,
    config: WebConfig,
    catalogues: Arc<Catalogues>,
    contexts: RenderCache<PostContext>,
    messages: crate::message_mail::MessageCache,
    petitions: crate::confirm_mail::PetitionCache,
}

/// A renderer for deferred messages, to hand to the delivery worker.
pub fn renderer(store: DynStore, signer: LinkSigner, config: WebConfig) -> Arc<dyn Renderer> {
    Arc::new(PostMailer {
        store,
        signer,
        config,
        catalogues: Arc::new(Catalogues::load()),
        contexts: RenderCache::default(),
        messages: crate::message_mail::MessageCache::default(),
        petitions: crate::confirm_mail::PetitionCache::default(),
    })
}

pub(crate) fn transient(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Transient(e.to_string())
}

/// The subject of a signed unsubscribe link: association, person, purpose.
pub(crate) fn unsubscribe_subject(org_id: i64, supporter_id: i64, purpose: &str) -> String {
    format!("{org_id}:{supporter_id}:{purpose}")
}

/// The subject of a signed click link: association, person, topic, target.
pub(crate) fn click_subject(org_id: i64, supporter_id: i64, topic: &str, url: &str) -> String {
    format!("{org_id}:{supporter_id}:{topic}|{url}")
}

/// Signed links a message carries.
pub(crate) struct Links<'a> {
    pub signer: &'a LinkSigner,
    pub config: &'a WebConfig,
    pub org_id: i64,
    pub supporter_id: i64,
    pub topic: String,
    pub now: i64,
}

impl Links<'_> {
    /// `url`, routed through `/r/…` so the click is counted for this message.
    pub(crate) fn tracked(&self, url: &str) -> String {
        let token = self.signer.sign(
            "click",
            &click_subject(self.org_id, self.supporter_id, &self.topic, url),
            self.now + CLICK_LINK_DAYS * 86_400,
        );
        self.config.link(&format!("/r/{token}"))
    }

    /// The one-click way out of `purpose`.
    pub(crate) fn unsubscribe(&self, purpose: &str) -> String {
        let token = self.signer.sign(
            "unsubscribe",
            &unsubscribe_subject(self.org_id, self.supporter_id, purpose),
            self.now + UNSUBSCRIBE_LINK_DAYS * 86_400,
        );
        self.config.link(&format!("/u/{token}"))
    }

    /// The one-click way out of `purpose` from a message to a segment: the link
    /// names the message, so the withdrawal it records is counted for it.
    pub(crate) fn unsubscribe_from_message(&self, purpose: &str, message_id: i64) -> String {
        let subject = format!(
            "{}|{}",
            unsubscribe_subject(self.org_id, self.supporter_id, purpose),
            relais_core::message::topic(message_id)
        );
        let token = self
            .signer
            .sign("unsubscribe", &subject, self.now + UNSUBSCRIBE_LINK_DAYS * 86_400);
        self.config.link(&format!("/u/{token}"))
    }

    /// The one-click way out of `purpose` by text message: a token of its own
    /// purpose, so the page withdraws the SMS consent and nothing else.
    pub(crate) fn unsubscribe_sms(&self, purpose: &str) -> String {
        let token = self.signer.sign(
            UNSUBSCRIBE_SMS,
            &unsubscribe_subject(self.org_id, self.supporter_id, purpose),
            self.now + UNSUBSCRIBE_LINK_DAYS * 86_400,
        );
        self.config.link(&format!("/u/{token}"))
    }
}

/// The signed purpose of a way out of text messages (e-mail's is `unsubscribe`).
pub(crate) const UNSUBSCRIBE_SMS: &str = "unsubscribe-sms";

#[derive(Template)]
#[template(path = "emails/post.txt", escape = "none")]
struct PostText<'a> {
    t: &'a Tr,
    m: &'a PostMessage,
}

#[derive(Template)]
#[template(path = "emails/post.html")]
struct PostHtml<'a> {
    t: &'a Tr,
    m: &'a PostMessage,
}

/// Everything one post e-mail says, in its reader's language.
pub(crate) struct PostMessage {
    pub subject: String,
    pub greeting: String,
    pub lead: String,
    pub body_text: String,
    pub body_html: String,
    pub image_url: Option<String>,
    pub document: Option<(String, String)>,
    pub button: String,
    pub petition_url: String,
    pub share: Vec<ShareLink>,
    pub reason: String,
    pub unsubscribe_url: String,
    pub org_name: String,
    /// The reader's own space.
    pub me_url: String,
}

impl PostMailer {
    async fn context(&self, post_id: i64) -> Result<Option<Arc<PostContext>>, DeliveryError> {
        let load = async {
            let Some(post) = self.store.post(post_id).await.map_err(transient)? else {
                return Ok(None);
            };
            let Some(petition) = self.store.petition_by_id(post.petition_id).await.map_err(transient)? else {
                return Ok(None);
            };
            let org = self.store.org_by_id(post.org_id).await.map_err(transient)?;
            Ok(org.map(|org| PostContext { post, petition, org }))
        };
        self.contexts.get(post_id, load).await
    }

    fn compose(&self, ctx: &PostContext, who: &PostRecipient, now: i64) -> PostMessage {
        let locale = Locale::parse(&who.locale).unwrap_or(Locale::Fr);
        let t = Tr::new(Arc::clone(&self.catalogues), locale);
        let (post, petition) = (&ctx.post, &ctx.petition);
        let links = Links {
            signer: &self.signer,
            config: &self.config,
            org_id: ctx.org.id,
            supporter_id: who.supporter_id,
            topic: relais_core::post::post_topic(post.id),
            now,
        };
        let title = petition.title.as_str();
        let count = |n: Option<i64>| format_count(n.unwrap_or_default(), locale);
        let (subject, lead) = match post.kind {
            PostKind::Update => (
                t.arg("post-mail-update-subject", "title", title),
                t.arg("post-mail-update-lead", "title", title),
            ),
            PostKind::Response => (
                t.args(
                    "post-mail-response-subject",
                    &[("target", &petition.target_name), ("title", title)],
                ),
                t.args(
                    "post-mail-response-lead",
                    &[
                        ("target", &petition.target_name),
                        ("date", post.responded_on.as_deref().unwrap_or_default()),
                    ],
                ),
            ),
            PostKind::Victory => (
                t.arg("post-mail-victory-subject", "title", title),
                t.arg("post-mail-victory-lead", "title", title),
            ),
            PostKind::Milestone => (
                t.args(
                    "post-mail-milestone-subject",
                    &[("count", &count(post.milestone)), ("next", &count(post.next_milestone))],
                ),
                t.args(
                    "post-mail-milestone-lead",
                    &[
                        ("title", title),
                        ("count", &count(post.milestone)),
                        ("next", &count(post.next_milestone)),
                    ],
                ),
            ),
        };
        // A milestone asks the reader to share: their own links, so the signatures
        // they bring are theirs.
        let share = if post.kind == PostKind::Milestone && !who.ref_code.is_empty() {
            crate::routes::share::share(&self.config, &t, &petition.slug, title, &who.ref_code).links
        } else {
            Vec::new()
        };
        let page = self.config.link(&format!("/p/{}?utm_source=email", petition.slug));
        let greeting = if who.first_name.trim().is_empty() {
            t.get("email-hello")
        } else {
            t.arg("post-mail-hello", "name", who.first_name.trim())
        };
        PostMessage {
            subject,
            greeting,
            lead,
            body_text: post.body.clone(),
            body_html: relais_core::markdown::to_safe_html_with_links(&post.body, |url| links.tracked(url)),
            image_url: post
                .image_path
                .as_ref()
                .map(|base| self.config.link(&format!("/media/{base}-600.jpg"))),
            document: post.document_path.as_ref().map(|path| {
                let name = post.document_name.clone().unwrap_or_else(|| path.clone());
                (name, links.tracked(&self.config.link(&format!("/media/{path}"))))
            }),
            button: t.get(if post.kind == PostKind::Milestone {
                "post-mail-button-share"
            } else {
                "post-mail-button"
            }),
            petition_url: links.tracked(&page),
            share: share
                .into_iter()
                .map(|s| ShareLink {
                    href: links.tracked(&s.href),
                    ..s
                })
                .collect(),
            reason: t.arg("post-mail-reason", "title", title),
            unsubscribe_url: links.unsubscribe(&relais_core::post::updates_purpose(petition.id)),
            org_name: ctx.org.name.clone(),
            me_url: crate::routes::me::me_link(&self.signer, &self.config, ctx.org.id, who.supporter_id, now),
        }
    }
}

#[async_trait::async_trait]
impl Renderer for PostMailer {
    async fn render(&self, message: &OutboxMessage, deferred: Deferred) -> Result<Option<Payload>, DeliveryError> {
        match deferred {
            Deferred::PetitionPost { post, signature } => self.render_post(message, post, signature).await,
            Deferred::SignatureConfirmation {
                petition,
                locale,
                expires,
            } => {
                let ctx = crate::confirm_mail::Ctx {
                    store: &self.store,
                    signer: &self.signer,
                    config: &self.config,
                    catalogues: &self.catalogues,
                    petitions: &self.petitions,
                };
                crate::confirm_mail::render(&ctx, message, petition, locale, expires).await
            }
            Deferred::GiftThanks { gift } => {
                crate::gift_mail::render(&self.store, &self.signer, &self.config, &self.catalogues, message, gift).await
            }
            Deferred::MandateSigned { mandate } => {
                crate::sepa_mail::render_mandate(
                    &self.store,
                    &self.signer,
                    &self.config,
                    &self.catalogues,
                    message,
                    mandate,
                )
                .await
            }
            Deferred::DebitNotice { gift } => {
                crate::sepa_mail::render_debit_notice(
                    &self.store,
                    &self.signer,
                    &self.config,
                    &self.catalogues,
                    message,
                    gift,
                )
                .await
            }
            Deferred::ImpactUpdate { update, supporter } => {
                crate::impact_mail::render_update(&self.impact_ctx(), message, update, supporter).await
            }
            Deferred::Message { message: id, supporter } => {
                crate::message_mail::render(&self.impact_ctx(), &self.messages, message, id, supporter).await
            }
            Deferred::ImpactOutcome { outcome } => {
                crate::impact_mail::render_outcome(&self.impact_ctx(), message, outcome).await
            }
            Deferred::Receipt { receipt } => {
                crate::gift_mail::render_receipt(
                    &self.store,
                    &self.signer,
                    &self.config,
                    &self.catalogues,
                    message,
                    receipt,
                )
                .await
            }
        }
    }
}

impl PostMailer {
    fn impact_ctx(&self) -> crate::impact_mail::Ctx<'_> {
        crate::impact_mail::Ctx {
            store: &self.store,
            signer: &self.signer,
            config: &self.config,
            catalogues: &self.catalogues,
        }
    }

    async fn render_post(
        &self,
        message: &OutboxMessage,
        post: i64,
        signature: i64,
    ) -> Result<Option<Payload>, DeliveryError> {
        let Some(ctx) = self.context(post).await? else {
            return Ok(None);
        };
        let Some(who) = self
            .store
            .post_recipient(&ctx.post, signature)
            .await
            .map_err(transient)?
        else {
            return Ok(None);
        };
        // The ledger may have changed since the message was enqueued.
        if !who.deliverable || who.email != message.recipient {
            return Ok(None);
        }
        let m = self.compose(&ctx, &who, crate::now());
        let t = Tr::new(
            Arc::clone(&self.catalogues),
            Locale::parse(&who.locale).unwrap_or(Locale::Fr),
        );
        let text = PostText { t: &t, m: &m }
            .render()
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let html = PostHtml { t: &t, m: &m }
            .render()
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        Ok(Some(Payload {
            subject: m.subject.clone(),
            text,
            html: Some(html),
            from_name: Some(m.org_name.clone()),
            reply_to: Some(ctx.org.contact_email.clone()).filter(|e| !e.is_empty()),
            list_unsubscribe: Some(m.unsubscribe_url.clone()),
            deferred: None,
            attachments: Vec::new(),
        }))
    }
}
