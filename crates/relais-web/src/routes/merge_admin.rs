//! One person found twice: the possible-duplicates list
//! (`/admin/people/duplicates`), the merge page that shows both records and what the
//! surviving one will be (`/admin/people/merge?keep=&other=`), the merge itself, and
//! "these are two different people".

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::merge::{DuplicateReason, PersonFields};
use relais_core::role::Permission;
use relais_store::{PersonHoldings, Supporter};

use crate::extract::Lang;
use crate::render::{Chrome, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// A group of the duplicates list as the page shows it.
pub(crate) struct Group {
    reason: String,
    /// `(id, name, email, phone, postcode, since)`, oldest record first.
    people: Vec<(i64, String, String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "admin/duplicates.html")]
struct DuplicatesTemplate {
    c: Chrome,
    csrf: String,
    groups: Vec<Group>,
    can_merge: bool,
}

fn name_of(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}

/// `GET /admin/people/duplicates`.
pub(crate) async fn duplicates(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "duplicates-title",
        "/admin/people/duplicates",
        "people",
    );
    c.notice = match done.done.as_deref() {
        Some("distinct") => Some(c.t.get("duplicates-distinct-done")),
        _ => done.notice(&c.t),
    };
    let groups = state
        .store
        .possible_duplicates(access)
        .await?
        .into_iter()
        .map(|g| Group {
            reason: c.t.get(match g.reason {
                DuplicateReason::SamePhone => "duplicates-same-phone",
                DuplicateReason::SameNameAndPostcode => "duplicates-same-name",
            }),
            people: g
                .people
                .into_iter()
                .map(|p| {
                    (
                        p.id,
                        name_of(&p.first_name, &p.last_name),
                        p.email,
                        p.phone.unwrap_or_default(),
                        p.postcode,
                        local_time(p.created_at, &org.timezone),
                    )
                })
                .collect(),
        })
        .collect();
    page(&DuplicatesTemplate {
        csrf: staff.session.csrf.clone(),
        can_merge: staff.can(Permission::ManageSettings),
        groups,
        c,
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct PairForm {
    csrf: String,
    a: i64,
    b: i64,
}

/// `POST /admin/people/duplicates/distinct` (`a`, `b`): two different people.
pub(crate) async fn distinct(
    State(state): State<Shared>,
    staff: Staff,
    Form(form): Form<PairForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    state
        .store
        .mark_distinct(access, form.a, form.b, Some(staff.user.id), crate::now())
        .await?;
    Ok(Redirect::to("/admin/people/duplicates?done=distinct").into_response())
}

/// One side of the merge page.
pub(crate) struct Side {
    id: i64,
    name: String,
    email: String,
    phone: String,
    postcode: String,
    /// Street address and commune.
    place: String,
    country: String,
    locale: String,
    since: String,
    holds: PersonHoldings,
}

#[derive(Template)]
#[template(path = "admin/merge.html")]
struct MergeTemplate {
    c: Chrome,
    csrf: String,
    /// Why the merge cannot be done (the form is then not offered).
    problem: Option<String>,
    /// The address typed to find the other record, kept when it finds nobody.
    other_email: String,
    keep: Side,
    other: Option<Side>,
    /// The surviving record: `(name, email, phone, postcode, address and commune)`.
    result: Option<(String, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct MergeQuery {
    keep: i64,
    other: Option<i64>,
    /// The other record's address, typed on a person's page.
    other_email: String,
}

fn fields(p: &Supporter) -> PersonFields {
    PersonFields {
        email: p.email.clone(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        postcode: p.postcode.clone(),
        country: p.country.clone(),
        locale: p.locale.clone(),
        phone: p.phone.clone(),
        address: p.address.clone(),
        commune: p.commune.clone(),
        coordinates: p.latitude.zip(p.longitude),
        source: p.source.clone(),
        preferred_channels: p.preferred_channels.clone(),
        created_at: p.created_at,
        updated_at: p.created_at,
    }
}

/// `GET /admin/people/merge?keep=&other=` (or `other_email=`): both records, what
/// moves and what the surviving record will be, then the button.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(q): Query<MergeQuery>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "merge-title",
        "/admin/people/merge",
        "people",
    );
    let side = |p: &Supporter, holds: PersonHoldings| Side {
        id: p.id,
        name: name_of(&p.first_name, &p.last_name),
        email: p.email.clone(),
        phone: p.phone.clone().unwrap_or_default(),
        postcode: p.postcode.clone(),
        place: format!("{} {}", p.address, p.commune).trim().to_owned(),
        country: p.country.clone(),
        locale: p.locale.clone(),
        since: local_time(p.created_at, &org.timezone),
        holds,
    };
    let kept = state.store.person(access, q.keep).await?;
    let keep = side(&kept, state.store.holdings(access, kept.id).await?);
    // The other record by id (from the duplicates list) or by address (typed).
    let other = match q.other {
        Some(id) => Some(state.store.person(access, id).await?),
        None if q.other_email.trim().is_empty() => None,
        None => match relais_core::Email::parse(&q.other_email) {
            Ok(email) => state.store.supporter_by_email(access, &email).await?,
            Err(_) => None,
        },
    };
    let Some(other) = other else {
        let problem = (!q.other_email.trim().is_empty()).then(|| c.t.get("merge-not-found"));
        let status_refused = problem.is_some();
        let t = MergeTemplate {
            csrf: staff.session.csrf.clone(),
            problem,
            other_email: q.other_email,
            keep,
            other: None,
            result: None,
            c,
        };
        return if status_refused { refused(&t) } else { page(&t) };
    };
    let (problem, result) = match relais_core::merge::merge(&fields(&kept), &fields(&other)) {
        Ok(m) => (
            None,
            Some((
                name_of(&m.first_name, &m.last_name),
                m.email,
                m.phone.unwrap_or_default(),
                m.postcode,
                format!("{} {}", m.address, m.commune).trim().to_owned(),
            )),
        ),
        Err(relais_core::merge::MergeError::SamePerson) => (Some(c.t.get("merge-same")), None),
        Err(relais_core::merge::MergeError::Erased) => (Some(c.t.get("merge-erased")), None),
    };
    let holds = state.store.holdings(access, other.id).await?;
    let t = MergeTemplate {
        csrf: staff.session.csrf.clone(),
        other_email: String::new(),
        other: Some(side(&other, holds)),
        keep,
        result,
        c,
        problem,
    };
    if t.problem.is_some() { refused(&t) } else { page(&t) }
}

#[derive(serde::Deserialize)]
pub(crate) struct MergeForm {
    csrf: String,
    keep: i64,
    other: i64,
}

/// `POST /admin/people/merge` (`keep`, `other`).
pub(crate) async fn merge(
    State(state): State<Shared>,
    staff: Staff,
    Form(form): Form<MergeForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let moved = state
        .store
        .merge_people(access, form.keep, form.other, Some(staff.user.id), crate::now())
        .await?;
    tracing::info!(
        org = access.org_id(),
        keep = form.keep,
        other = form.other,
        signatures = moved.signatures,
        gifts = moved.gifts,
        "people merged"
    );
    Ok(Redirect::to(&format!("/admin/people/{}?done=merged", form.keep)).into_response())
}
