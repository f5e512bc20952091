//! Who works on the association: the list, invitations, roles.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::{Email, Role};
use relais_store::{LinkPurpose, Member, NewLoginToken, StoreError, random_token};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::routes::auth::{INVITE_DAYS, link_message};
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffTemplate {
    c: Chrome,
    errors: Errors,
    csrf: String,
    members: Vec<Member>,
    me: i64,
    can_manage: bool,
    roles: Vec<(&'static str, String)>,
    invite_email: String,
    invite_role: String,
}

async fn template(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: Errors,
    invite: (String, String),
    done: &Done,
) -> Result<StaffTemplate, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let members = state.store.members(access).await?;
    let mut c = admin_chrome(state, staff, Some(&org), lang, "staff-title", "/admin/staff", "staff");
    c.notice = done.notice(&c.t);
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), c.t.get(&format!("role-{}", r.as_str()))))
        .collect();
    Ok(StaffTemplate {
        errors,
        csrf: staff.session.csrf.clone(),
        members,
        me: staff.user.id,
        can_manage: staff.can(Permission::ManageStaff),
        roles,
        invite_email: invite.0,
        invite_role: invite.1,
        c,
    })
}

/// The staff page again (422) with one problem next to `field`, the invitation form as sent.
async fn refused_with(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    (field, message_id): (&str, &str),
    invite: (String, String),
) -> Result<Response, AppError> {
    let errors = Errors::one(field, state.tr(lang.resolve()).get(message_id));
    refused(&template(state, staff, lang, errors, invite, &Done::default()).await?)
}

/// `GET /admin/staff`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(
        &template(
            &state,
            &staff,
            lang,
            Errors::default(),
            (String::new(), "editor".into()),
            &done,
        )
        .await?,
    )
}

#[derive(serde::Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff/invite`: adds the person and e-mails them a sign-in link.
pub(crate) async fn invite(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageStaff)?;
    let t = state.tr(lang.resolve());
    let (email, role) = match (Email::parse(&form.email), Role::parse(&form.role)) {
        (Ok(e), Ok(r)) => (e, r),
        (email, _) => {
            let errors = if email.is_err() {
                Errors::one("email", t.get("err-email"))
            } else {
                Errors::one("role", t.get("err-role"))
            };
            return refused(&template(&state, &staff, lang, errors, (form.email, form.role), &Done::default()).await?);
        }
    };
    let org = state.store.org(access).await?;
    let now = crate::now();
    let nonce = random_token();
    let expires_at = now + INVITE_DAYS * 24 * 3600;
    let token = state.signer.sign(LinkPurpose::Login.as_str(), &nonce, expires_at);
    let link = state.config.link(&format!("/admin/auth?token={token}"));
    // The invitation is written in the association's language: the invitee's is unknown.
    let role_label = state.tr(org.locale()).get(&format!("role-{}", role.as_str()));
    let message = link_message(
        &state,
        email.as_str(),
        org.locale(),
        format!("invite:{nonce}"),
        Some((org.id, org.name.clone())),
        |t| {
            let intro = t.args(
                "email-invite-intro",
                &[
                    ("inviter", &staff.user.email),
                    ("org", &org.name),
                    ("role", &role_label),
                    ("days", &INVITE_DAYS.to_string()),
                ],
            );
            (
                t.arg("email-invite-subject", "org", &org.name),
                intro,
                t.get("email-invite-button"),
            )
        },
        link,
    )?;
    // user_id is filled in by the store once the account exists.
    let record = NewLoginToken {
        nonce,
        user_id: 0,
        purpose: LinkPurpose::Login,
        org_id: Some(org.id),
        expires_at,
    };
    match state.store.invite(access, &email, role, &record, &message, now).await {
        Ok(_) => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("done", "invited")
                .append_pair("email", email.as_str())
                .finish();
            Ok(Redirect::to(&format!("/admin/staff?{q}")).into_response())
        }
        Err(StoreError::LastOwner) => {
            refused_with(
                &state,
                &staff,
                lang,
                ("role", "err-last-owner"),
                (form.email, form.role),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff/{user_id}/role`.
pub(crate) async fn set_role(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(user_id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageStaff)?;
    let Ok(role) = Role::parse(&form.role) else {
        return refused_with(
            &state,
            &staff,
            lang,
            ("role", "err-role"),
            (String::new(), "editor".into()),
        )
        .await;
    };
    match state.store.set_role(access, user_id, role).await {
        Ok(()) => Ok(Redirect::to("/admin/staff?done=role").into_response()),
        Err(StoreError::LastOwner) => {
            refused_with(
                &state,
                &staff,
                lang,
                ("role", "err-last-owner"),
                (String::new(), "editor".into()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/staff/{user_id}/remove`.
pub(crate) async fn remove(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(user_id): Path<i64>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageStaff)?;
    match state.store.remove_member(access, user_id).await {
        Ok(()) => Ok(Redirect::to("/admin/staff?done=removed").into_response()),
        Err(StoreError::LastOwner) => {
            refused_with(
                &state,
                &staff,
                lang,
                ("role", "err-last-owner"),
                (String::new(), "editor".into()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
