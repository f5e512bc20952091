//! Telling signers what happened: staff post updates, the decision maker's
//! response and the victory of a petition, and see what became of each message.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::post::{PostInput, PostKind};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{NewPost, Petition, PostStats, StoreError};

use crate::extract::{Lang, Upload};
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::routes::petition::format_count;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Largest attached document (a scanned letter from a mayor).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// One row of the figures table.
struct Row {
    heading: String,
    date: String,
    recipients: String,
    pending: String,
    sent: String,
    failed: String,
    cancelled: String,
    clicks: String,
    clickers: String,
    sending: bool,
}

#[derive(Template)]
#[template(path = "admin/posts.html")]
struct PostsTemplate {
    c: Chrome,
    p: Petition,
    csrf: String,
    rows: Vec<Row>,
    errors: Errors,
    /// Which form the errors belong to, and what was typed in it.
    open: &'static str,
    input: PostInput,
    can_edit: bool,
    today: String,
}

impl PostsTemplate {
    /// What was typed in the form for `kind`, if it is the one refused.
    fn typed(&self, kind: &str) -> &str {
        if self.open == kind { &self.input.body } else { "" }
    }
}

fn parse_kind(raw: &str) -> Result<PostKind, AppError> {
    match PostKind::parse(raw) {
        // Milestones are Relais's to write.
        Some(kind) if kind != PostKind::Milestone => Ok(kind),
        _ => Err(AppError::NotFound),
    }
}

#[allow(clippy::too_many_arguments)]
async fn posts_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    id: i64,
    errors: &[FieldError],
    open: &'static str,
    input: PostInput,
    done: &Done,
) -> Result<PostsTemplate, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let p = state.store.petition(access, id).await?;
    let stats = state.store.post_stats(access, id).await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "posts-title",
        &format!("/admin/petitions/{id}/posts"),
        "petitions",
    );
    c.notice = match done.done.as_deref() {
        Some("posted") => Some(c.t.get("posts-posted")),
        _ => done.notice(&c.t),
    };
    let n = |v: i64| format_count(v, c.t.locale);
    let rows = stats
        .iter()
        .map(|s: &PostStats| {
            let view = crate::routes::petition::PostView::of(&s.post, &p, &c.t, &org.timezone);
            Row {
                heading: view.heading,
                date: view.date,
                recipients: n(s.post.fanout_total),
                pending: n(s.pending),
                sent: n(s.sent),
                failed: n(s.failed),
                cancelled: n(s.cancelled),
                clicks: n(s.clicks),
                clickers: n(s.clickers),
                // Queuing, or copies still waiting in the queue or the outbox.
                sending: s.post.fanout_done_at.is_none() || s.pending > 0,
            }
        })
        .collect();
    let errors = Errors::from_fields(&c.t, errors);
    Ok(PostsTemplate {
        csrf: staff.session.csrf.clone(),
        rows,
        errors,
        open,
        input,
        can_edit: staff.can(Permission::EditContent),
        today: crate::routes::petitions_admin::today(&org).to_string(),
        p,
        c,
    })
}

/// `GET /admin/petitions/{id}/posts`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(&posts_page(&state, &staff, lang, id, &[], "", PostInput::default(), &done).await?)
}

/// A PDF as uploaded, or why not: the document is shown to the public as it is,
/// so only a format browsers open safely is taken.
fn check_document(bytes: &[u8]) -> Result<(), &'static str> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        Err("err-document-size")
    } else if !bytes.starts_with(b"%PDF-") {
        Err("err-document-type")
    } else {
        Ok(())
    }
}

/// A file name safe to show: the base name, printable, at most 80 characters.
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(80).collect();
    if clean.trim().is_empty() {
        "document.pdf".to_owned()
    } else {
        clean
    }
}

/// `POST /admin/petitions/{id}/posts/{kind}` (multipart: `csrf`, `body`,
/// `responded_on`, and `image` for updates and victories or `document` for responses).
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path((id, kind)): Path<(i64, String)>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let kind = parse_kind(&kind)?;
    let file_field = if kind == PostKind::Response {
        "document"
    } else {
        "image"
    };
    let upload = Upload::read(multipart, file_field).await?;
    staff.check_csrf(&upload.field("csrf"))?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let petition = state.store.petition(access, id).await?;
    let input = PostInput {
        body: upload.field("body"),
        responded_on: upload.field("responded_on"),
    };
    let open = kind.as_str();
    let refuse = async |errors: Vec<FieldError>, input: PostInput| {
        refused(&posts_page(&state, &staff, lang, id, &errors, open, input, &Done::default()).await?)
    };
    let draft = match input.parse(kind, crate::routes::petitions_admin::today(&org)) {
        Ok(draft) => draft,
        Err(errors) => return refuse(errors, input).await,
    };
    // Refused before any file is written, so a refused post leaves nothing on disk
    // (stored files are named by their content and may be another post's too, so
    // they cannot simply be deleted afterwards).
    if let Err(refusal) = relais_core::post::post_allowed(kind, petition.state) {
        let code = match refusal {
            relais_core::post::PostRefused::VictoryTwice => "err-victory-twice",
            relais_core::post::PostRefused::State => "err-post-state",
        };
        return refuse(vec![FieldError::new("body", code)], input).await;
    }
    let media = state.config.data_dir.join("media");
    let mut image = None;
    let mut document = None;
    if let Some(bytes) = upload.file {
        if kind == PostKind::Response {
            if let Err(code) = check_document(&bytes) {
                return refuse(vec![FieldError::new("document", code)], input).await;
            }
            let name = display_name(upload.file_name.as_deref().unwrap_or_default());
            let stored = crate::images::save_document(&media, id, &bytes)
                .await
                .map_err(|e| AppError::Internal(format!("saving document: {e}")))?;
            document = Some((stored, name));
        } else {
            let sizes = match tokio::task::spawn_blocking(move || crate::images::photo_sizes(&bytes)).await {
                Ok(Ok(sizes)) => sizes,
                Ok(Err(crate::images::ImageError::TooLarge)) => {
                    return refuse(vec![FieldError::new("image", "err-photo-size")], input).await;
                }
                Ok(Err(crate::images::ImageError::Unreadable)) => {
                    return refuse(vec![FieldError::new("image", "err-logo-type")], input).await;
                }
                Err(e) => return Err(AppError::Internal(format!("photo task: {e}"))),
            };
            let base = crate::images::save_photo(&media, id, &sizes)
                .await
                .map_err(|e| AppError::Internal(format!("saving photo: {e}")))?;
            image = Some(base);
        }
    }
    let new = NewPost {
        petition_id: id,
        draft: &draft,
        image_path: image.as_deref(),
        document: document.as_ref().map(|(path, name)| (path.as_str(), name.as_str())),
        created_by: Some(staff.user.id),
    };
    match state.store.create_post(access, &new, crate::now()).await {
        Ok(_) => {}
        Err(StoreError::Conflict(what)) => {
            let code = if what == "victory" {
                "err-victory-twice"
            } else {
                "err-post-state"
            };
            return refuse(vec![FieldError::new("body", code)], input).await;
        }
        Err(e) => return Err(e.into()),
    }
    state.petition_changed(id, &petition.slug);
    Ok(Redirect::to(&format!("/admin/petitions/{id}/posts?done=posted")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdfs_of_reasonable_size_are_attached() {
        assert_eq!(check_document(b"%PDF-1.7\n..."), Ok(()));
        assert_eq!(check_document(b"<html><script>"), Err("err-document-type"));
        assert_eq!(
            check_document(&vec![b'%'; MAX_DOCUMENT_BYTES + 1]),
            Err("err-document-size")
        );
    }

    #[test]
    fn document_names_are_made_harmless() {
        assert_eq!(display_name("C:\\Users\\maire\\réponse.pdf"), "réponse.pdf");
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name(""), "document.pdf");
        assert_eq!(display_name("a\u{0}b.pdf"), "ab.pdf");
    }
}
