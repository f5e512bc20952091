//! One import's page (`/admin/people/imports/{id}`): the mapping step with sample
//! values and the options, the validation report (nothing written yet), then the
//! import's progress, its end, or how far it got when it was interrupted.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::import::{Field, MappingError, MergePolicy, check_mapping};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{Import, ImportPlan, Refusal};

use crate::extract::Lang;
use crate::i18n::Tr;
use crate::import_job;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::admin_chrome;
use crate::routes::people_import::state_of;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Refused rows shown on the page; the CSV has them all.
const SHOWN_REFUSALS: i64 = 500;
/// Sample rows under each column of the mapping step.
const SAMPLES: usize = 5;
/// The longest consent wording taken.
const MAX_WORDING: usize = 1000;

/// The mapping and options as submitted (or stored).
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionsForm {
    /// One field key per column (empty: ignored).
    pub mapping: Vec<String>,
    pub tags: String,
    pub merge: String,
    pub consent: bool,
    pub consent_wording: String,
}

impl OptionsForm {
    fn of(import: &Import) -> Self {
        Self {
            mapping: import.mapping.split(',').map(str::to_owned).collect(),
            tags: import.tags.clone(),
            merge: import.merge_policy.clone(),
            consent: import.consent_wording.is_some(),
            consent_wording: import.consent_wording.clone().unwrap_or_default(),
        }
    }

    fn from_pairs(pairs: &[(String, String)], width: usize) -> (Self, String) {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let form = Self {
            mapping: (0..width).map(|i| get(&format!("col_{i}"))).collect(),
            tags: get("tags"),
            merge: get("merge"),
            consent: !get("consent").is_empty(),
            consent_wording: get("consent_wording"),
        };
        (form, get("csrf"))
    }
}

/// One column of the file in the mapping step.
struct ColumnView {
    index: usize,
    header: String,
    selected: String,
    samples: Vec<String>,
}

/// A refused line and its reasons.
struct RefusalView {
    line: i64,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/people_import_one.html")]
struct ImportTemplate {
    c: Chrome,
    csrf: String,
    errors: Errors,
    import: Import,
    /// `uploaded`, `validated`, `running`, `interrupted`, `done` or `failed`.
    status: &'static str,
    /// The state's name, in words.
    state_label: String,
    /// "Read as UTF-8, cells separated by semicolons."
    read_as: String,
    uploaded: String,
    columns: Vec<ColumnView>,
    fields: Vec<(&'static str, String)>,
    form: OptionsForm,
    /// The validation's figures.
    report: Vec<String>,
    refusals: Vec<RefusalView>,
    more_refused: Option<String>,
    /// The confirm button's label, when there is something to import.
    confirm: Option<String>,
    /// `(committed rows, rows to import)` while running.
    progress: Option<(i64, i64)>,
    /// What happened, or is happening.
    message: Option<String>,
    /// What was committed.
    outcome: Vec<String>,
    resume: Option<String>,
    /// Links to the people the batch tags mark.
    tag_links: Vec<(String, String)>,
}

fn reason(t: &Tr, r: &Refusal) -> String {
    t.arg(&format!("import-reason-{}", r.reason), "detail", &r.detail)
}

fn field_label(t: &Tr, f: Field) -> String {
    t.get(&format!("import-field-{}", f.key()))
}

#[allow(clippy::too_many_lines)]
async fn import_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    import: Import,
    form: Option<OptionsForm>,
    errors: &[FieldError],
) -> Result<ImportTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let path = format!("/admin/people/imports/{}", import.id);
    let mut c = admin_chrome(state, staff, Some(&org), lang, "import-title", &path, "people");
    c.title = c.t.arg("import-one-title", "file", &import.file_name);
    let t = c.t.clone();
    let locale = t.locale;
    let count = |n: i64| relais_core::project::format_count(n, locale);
    let status = state_of(&import);
    let separator = match import.separator.as_str() {
        ";" => "import-sep-semicolon",
        "," => "import-sep-comma",
        _ => "import-sep-tab",
    };
    let read_as = t.args(
        "import-read-as",
        &[
            ("encoding", &t.get(&format!("import-encoding-{}", import.encoding))),
            ("separator", &t.get(separator)),
        ],
    );
    let size = if import.file_bytes < 1_000_000 {
        format!("{} kB", (import.file_bytes + 999) / 1000)
    } else {
        format!("{:.1} MB", import.file_bytes as f64 / 1_000_000.0)
    };
    let uploaded = t.args(
        "import-uploaded",
        &[("when", &local_time(import.created_at, &org.timezone)), ("size", &size)],
    );
    let form = form.unwrap_or_else(|| OptionsForm::of(&import));
    // The mapping step reads the file's first rows again: nothing of it is stored but the file.
    let mut columns = Vec::new();
    if matches!(status, "uploaded" | "validated") {
        let mut file = import_job::open(state, &import).await?;
        let headers = file.columns();
        let samples = tokio::task::spawn_blocking(move || file.next_batch(SAMPLES * 2))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let samples: Vec<Vec<String>> = samples.into_iter().flatten().take(SAMPLES).map(|r| r.cells).collect();
        for (index, header) in headers.into_iter().enumerate() {
            columns.push(ColumnView {
                index,
                header,
                selected: form.mapping.get(index).cloned().unwrap_or_default(),
                samples: samples
                    .iter()
                    .filter_map(|r| r.get(index))
                    .filter(|v| !v.is_empty())
                    .map(|v| v.chars().take(60).collect())
                    .collect(),
            });
        }
    }
    let fields = Field::ALL.iter().map(|f| (f.key(), field_label(&t, *f))).collect();
    let mut report = Vec::new();
    let mut refusals: Vec<RefusalView> = Vec::new();
    let mut more_refused = None;
    if status != "uploaded" {
        report = vec![
            t.arg("import-to-create", "count", &count(import.to_create)),
            t.arg("import-to-update", "count", &count(import.to_update)),
            t.arg("import-to-keep", "count", &count(import.to_keep)),
            t.arg("import-refused", "count", &count(import.refused_rows)),
        ];
        for r in state.store.refusals(access, import.id, SHOWN_REFUSALS + 1).await? {
            match refusals.last_mut() {
                Some(last) if last.line == r.line => last.reasons.push(reason(&t, &r)),
                _ => refusals.push(RefusalView {
                    line: r.line,
                    reasons: vec![reason(&t, &r)],
                }),
            }
        }
        if refusals.len() as i64 > SHOWN_REFUSALS || import.refused_rows > refusals.len() as i64 {
            refusals.truncate(SHOWN_REFUSALS as usize);
            more_refused = Some(t.arg("import-refused-more", "count", &count(refusals.len() as i64)));
        }
    }
    let to_import = import.to_create + import.to_update + import.to_keep;
    let confirm = (status == "validated" && to_import > 0).then(|| t.arg("import-confirm", "count", &count(to_import)));
    let committed = import.committed_rows();
    let where_args = [
        ("done", count(committed)),
        ("total", count(to_import)),
        ("line", count(import.committed_line)),
        ("last", count(import.last_line)),
    ];
    let where_args: Vec<(&str, &str)> = where_args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (message, resume) = match status {
        "running" => (Some(t.args("import-running", &where_args)), None),
        "interrupted" => (
            Some(t.args("import-interrupted", &where_args)),
            Some(t.arg("import-resume", "line", &count(import.committed_line + 1))),
        ),
        "failed" => {
            let mut args = where_args.clone();
            let error = import.error.clone().unwrap_or_default();
            args.push(("error", &error));
            (Some(t.args("import-failed", &args)), None)
        }
        "done" => (Some(t.get("import-done")), None),
        _ => (None, None),
    };
    let mut outcome = Vec::new();
    if matches!(status, "running" | "interrupted" | "failed" | "done") {
        outcome.push(t.arg("import-created", "count", &count(import.created_rows)));
        outcome.push(t.arg("import-updated", "count", &count(import.updated_rows)));
        outcome.push(t.arg("import-unchanged", "count", &count(import.unchanged_rows)));
        if import.consent_wording.is_some() {
            outcome.push(t.arg("import-consents", "count", &count(import.consents_added)));
            outcome.push(t.arg("import-consents-withdrawn", "count", &count(import.consents_withdrawn)));
        }
    }
    let tag_links = if status == "done" {
        import
            .tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|tag| {
                let query = relais_core::segment::SegmentInput {
                    tag: tag.to_owned(),
                    ..Default::default()
                }
                .query_string();
                (format!("/admin/people?{query}"), t.arg("import-see-people", "tag", tag))
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ImportTemplate {
        csrf: staff.session.csrf.clone(),
        errors: Errors::from_fields(&t, errors),
        progress: (status == "running").then_some((committed, to_import)),
        state_label: t.get(&format!("import-state-{status}")),
        status,
        read_as,
        uploaded,
        columns,
        fields,
        form,
        report,
        refusals,
        more_refused,
        confirm,
        message,
        outcome,
        resume,
        tag_links,
        import,
        c,
    })
}

/// `GET /admin/people/imports/{id}`: the step the import is at.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let import = state.store.import(access, id).await?;
    page(&import_page(&state, &staff, lang, import, None, &[]).await?)
}

/// `POST /admin/people/imports/{id}/check`: checks the mapping and options, then
/// every row of the file, and shows the report. Writes nothing but the report.
pub(crate) async fn check(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?.clone();
    let import = state.store.import(&access, id).await?;
    let width = import.mapping.split(',').count();
    let (form, csrf) = OptionsForm::from_pairs(&pairs, width);
    staff.check_csrf(&csrf)?;
    if !matches!(import.state.as_str(), "uploaded" | "validated") {
        return Ok(Redirect::to(&format!("/admin/people/imports/{id}")).into_response());
    }
    let mut errors = Vec::new();
    let mapping: Vec<Option<Field>> = form.mapping.iter().map(|k| Field::from_key(k)).collect();
    match check_mapping(&mapping) {
        Ok(()) => {}
        Err(MappingError::NoEmail) => errors.push(FieldError::new("col_0", "import-err-no-email-column")),
        Err(MappingError::Twice(f)) => {
            let t = state.tr(lang.resolve());
            errors.push(FieldError {
                field: "col_0",
                code: "import-err-twice",
                arg: Some(field_label(&t, f)),
            });
        }
    }
    let mut tags = Vec::new();
    for raw in form.tags.split(',').filter(|t| !t.trim().is_empty()) {
        match relais_core::tag::normalise(raw) {
            Some(t) if !tags.contains(&t) => tags.push(t),
            Some(_) => {}
            None => {
                errors.push(FieldError::new("tags", "import-err-tags"));
                break;
            }
        }
    }
    let policy = MergePolicy::from_key(&form.merge).unwrap_or(MergePolicy::FillEmpty);
    let wording = form.consent_wording.trim();
    if form.consent && (wording.is_empty() || wording.chars().count() > MAX_WORDING) {
        errors.push(FieldError::new("consent_wording", "import-err-wording"));
    }
    if !errors.is_empty() {
        return refused(&import_page(&state, &staff, lang, import, Some(form), &errors).await?);
    }
    let v = import_job::validate(&state, &access, &import, &mapping, policy).await?;
    let tags = tags.join(",");
    let plan = ImportPlan {
        mapping: &import_job::mapping_key(&mapping),
        tags: &tags,
        policy,
        consent_wording: form.consent.then_some(wording),
        total_rows: v.total_rows,
        to_create: v.to_create,
        to_update: v.to_update,
        to_keep: v.to_keep,
        refused_rows: v.refused_rows,
        last_line: v.last_line,
    };
    state.store.save_validation(&access, id, &plan, &v.refusals).await?;
    Ok(Redirect::to(&format!("/admin/people/imports/{id}#report")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /admin/people/imports/{id}/run`: starts the import (or resumes an
/// interrupted one) in a task; a small file is done before the page comes back.
pub(crate) async fn run(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?.clone();
    let now = crate::now();
    if state
        .store
        .start_import(&access, id, now - import_job::STALE_SECS, now)
        .await?
    {
        let import = state.store.import(&access, id).await?;
        let task = import_job::spawn(state.clone(), access, import);
        // Waiting a little spares a small file's importer a refresh; the task goes on regardless.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), task).await;
    }
    Ok(Redirect::to(&format!("/admin/people/imports/{id}")).into_response())
}

/// `GET /admin/people/imports/{id}/refused.csv`: every refused row with its reasons.
pub(crate) async fn refused_csv(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let import = state.store.import(access, id).await?;
    let org = state.store.org(access).await?;
    let t = state.tr(lang.or(org.locale()));
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(e.to_string());
    out.write_record([t.get("import-col-line"), t.get("import-col-reason")])
        .map_err(csv_error)?;
    for r in state.store.refusals(access, import.id, i64::MAX).await? {
        out.write_record([r.line.to_string(), reason(&t, &r)])
            .map_err(csv_error)?;
    }
    // A byte-order mark so that Excel reads the accents right.
    let mut body = relais_core::import::text::BOM.to_vec();
    body.extend(out.into_inner().map_err(|e| AppError::Internal(e.to_string()))?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-refused.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
