//! Impact projects in the back office: the list and the form that creates one,
//! and the project's page, where staff describe it, publish it, move it along its
//! stages and choose its figures. Its money (ledger, allocations) and photos are
//! handled in `project_ledger_admin.rs` and `project_photos_admin.rs`; all of them
//! render the same page, so a refused form comes back in place, as typed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::project::{ProjectInput, Stage, parse_figures};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{Project, StoreError};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::routes::project_page_admin::{Forms, project_page};
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/projects.html")]
struct ListTemplate {
    c: Chrome,
    /// Each project with its budget, formatted.
    projects: Vec<(Project, String)>,
    can_edit: bool,
    csrf: String,
    errors: Errors,
    input: ProjectInput,
    base: String,
}

async fn list_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    input: ProjectInput,
    errors: &[FieldError],
    done: &Done,
) -> Result<ListTemplate, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "projects-title",
        "/admin/projects",
        "projects",
    );
    c.notice = done.notice(&c.t);
    let locale = c.t.locale;
    let projects = state
        .store
        .projects(access)
        .await?
        .into_iter()
        .map(|p| {
            let budget = p.budget.format(locale);
            (p, budget)
        })
        .collect();
    Ok(ListTemplate {
        errors: Errors::from_fields(&c.t, errors),
        projects,
        can_edit: staff.can(Permission::EditContent),
        csrf: staff.session.csrf.clone(),
        input,
        base: state.config.link("/projects/"),
        c,
    })
}

/// `GET /admin/projects`.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(&list_page(&state, &staff, lang, ProjectInput::default(), &[], &done).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct ProjectForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: ProjectInput,
}

/// `POST /admin/projects`: creates a draft project and opens its page.
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<ProjectForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let errors = match form.input.parse() {
        Ok(draft) => match state
            .store
            .create_project(access, &draft, Some(staff.user.id), crate::now())
            .await
        {
            Ok(p) => return Ok(Redirect::to(&format!("/admin/projects/{}?done=saved", p.id)).into_response()),
            Err(StoreError::Conflict(_)) => vec![FieldError::new("slug", "err-project-slug-taken")],
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    refused(&list_page(&state, &staff, lang, form.input, &errors, &Done::default()).await?)
}

/// `?done=…` on the project page, and the allocation to announce.
#[derive(serde::Deserialize, Default)]
pub(crate) struct ProjectDone {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    batch: Option<i64>,
}

/// `GET /admin/projects/{id}`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(done): Query<ProjectDone>,
) -> Result<Response, AppError> {
    let mut template = project_page(&state, &staff, lang, id, Forms::default(), &[]).await?;
    let t = &template.c.t;
    template.c.notice = match done.done.as_deref() {
        // The decision is looked up, never taken from the link: a link cannot make the page say anything else.
        Some("allocated") => template.batches.iter().find(|b| Some(b.id) == done.batch).map(|b| {
            t.args(
                "project-allocated",
                &[("amount", &b.amount), ("count", &b.gifts.to_string())],
            )
        }),
        Some(
            kind @ ("stage" | "figures" | "photo" | "photo-removed" | "expense" | "expense-removed" | "update"
            | "update-removed" | "undone"),
        ) => Some(t.get(&format!("project-done-{kind}"))),
        Some("published") => Some(t.get("project-done-published")),
        Some("unpublished") => Some(t.get("project-done-unpublished")),
        _ => Done {
            done: done.done.clone(),
            email: None,
        }
        .notice(t),
    };
    page(&template)
}

/// `POST /admin/projects/{id}`: saves the description, place and budget.
pub(crate) async fn update(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ProjectForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let errors = match form.input.parse() {
        Ok(draft) => match state.store.update_project(access, id, &draft, crate::now()).await {
            Ok(_) => return Ok(Redirect::to(&format!("/admin/projects/{id}?done=saved")).into_response()),
            Err(StoreError::Conflict(_)) => vec![FieldError::new("slug", "err-project-slug-taken")],
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let forms = Forms {
        project: Some(form.input),
        ..Forms::default()
    };
    refused(&project_page(&state, &staff, lang, id, forms, &errors).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct StateForm {
    #[serde(default)]
    csrf: String,
    /// `yes` publishes, anything else takes back to draft.
    #[serde(default)]
    publish: String,
}

/// `POST /admin/projects/{id}/state`.
pub(crate) async fn set_state(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StateForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let publish = form.publish == "yes";
    state.store.publish_project(access, id, publish, crate::now()).await?;
    let done = if publish { "published" } else { "unpublished" };
    Ok(Redirect::to(&format!("/admin/projects/{id}?done={done}")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct StageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stage: String,
}

/// `POST /admin/projects/{id}/stage`.
pub(crate) async fn set_stage(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<StageForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    // The form only offers the three stages: anything else is not a person's mistake.
    let stage = Stage::parse(&form.stage).ok_or_else(|| AppError::BadRequest("unknown stage".into()))?;
    state.store.set_project_stage(access, id, stage, crate::now()).await?;
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=stage")).into_response())
}

/// `POST /admin/projects/{id}/figures`: rows of repeated `figure_label`,
/// `figure_value`, `figure_unit` fields, in order (empty rows are dropped).
pub(crate) async fn set_figures(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let csrf = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    staff.check_csrf(csrf.unwrap_or_default())?;
    let access = staff.require(Permission::EditContent)?;
    let rows = crate::routes::project_page_admin::figure_rows(&fields);
    match parse_figures(&rows) {
        Ok(figures) => {
            state
                .store
                .set_project_figures(access, id, &figures, crate::now())
                .await?;
            Ok(Redirect::to(&format!("/admin/projects/{id}?done=figures")).into_response())
        }
        Err(errors) => {
            let forms = Forms {
                figures: Some(rows),
                ..Forms::default()
            };
            refused(&project_page(&state, &staff, lang, id, forms, &errors).await?)
        }
    }
}
