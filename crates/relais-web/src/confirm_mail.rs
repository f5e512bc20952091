//! The e-mail asking a new signer to confirm their signature, rendered when the
//! worker delivers it. The signature's transaction enqueues a row of about a
//! hundred bytes (petition, language, link expiry); the text, the HTML and the
//! signed link are made here, from the same inputs the sign handler had.

use std::sync::Arc;

use relais_core::Locale;
use relais_core::token::LinkSigner;
use relais_messaging::DeliveryError;
use relais_store::{DynStore, Org, OutboxMessage, Payload, Petition};

use crate::WebConfig;
use crate::emails::LinkEmail;
use crate::i18n::{Catalogues, Tr};
use crate::post_mail::transient;
use crate::render_cache::RenderCache;

/// Petitions recently confirmed for, with their association.
pub(crate) type PetitionCache = RenderCache<(Petition, Org)>;

/// What the confirmation e-mails share.
pub(crate) struct Ctx<'a> {
    pub store: &'a DynStore,
    pub signer: &'a LinkSigner,
    pub config: &'a WebConfig,
    pub catalogues: &'a Arc<Catalogues>,
    pub petitions: &'a PetitionCache,
}

/// Renders the confirmation e-mail of `message`'s signature to `petition_id`;
/// `None` when the petition is gone (its signatures with it).
pub(crate) async fn render(
    ctx: &Ctx<'_>,
    message: &OutboxMessage,
    petition_id: i64,
    locale: Locale,
    expires: i64,
) -> Result<Option<Payload>, DeliveryError> {
    let load = async {
        let Some(petition) = ctx.store.petition_by_id(petition_id).await.map_err(transient)? else {
            return Ok(None);
        };
        let org = ctx.store.org_by_id(petition.org_id).await.map_err(transient)?;
        Ok(org.map(|org| (petition, org)))
    };
    let Some(found) = ctx.petitions.get(petition_id, load).await? else {
        return Ok(None);
    };
    let (petition, org) = &*found;
    let t = Tr::new(Arc::clone(ctx.catalogues), locale);
    // The same subject the handler signs when checking the link: petition and
    // address (the recipient is the normalised address the signature holds).
    let token = ctx
        .signer
        .sign("confirm", &format!("{}:{}", petition.id, message.recipient), expires);
    let link = ctx.config.link(&format!("/p/{}/confirm?token={token}", petition.slug));
    let payload = LinkEmail {
        t: &t,
        subject: t.arg("email-confirm-subject", "title", &petition.title),
        intro: t.args(
            "email-confirm-intro",
            &[
                ("title", &petition.title),
                ("days", &ctx.config.signature_expiry_days.to_string()),
            ],
        ),
        button: t.get("email-confirm-button"),
        link,
        from_name: Some(org.name.clone()),
    }
    .payload()
    .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
    Ok(Some(payload))
}
