//! Importing people from a spreadsheet: upload (`/admin/people/import`), the mapping
//! step with sample values, the options, a validation report over the whole file
//! before anything is written, the import with its progress, and past imports with
//! their reports (`/admin/people/imports`). The reading and the import task are in
//! `crate::import_job`.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::import::guess_mapping;
use relais_core::import::text::{Encoding, Utf8Probe, sniff_separator};
use relais_core::role::Permission;
use relais_store::{Import, NewImport};
use tokio::io::AsyncWriteExt;

use crate::extract::Lang;
use crate::import_job::{self, ImportFile};
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// The largest file taken (the route's body limit allows a little more for the form).
pub(crate) const MAX_BYTES: usize = 200 * 1024 * 1024;

/// One past import in the list.
struct ImportLine {
    id: i64,
    when: String,
    file_name: String,
    state: String,
    result: String,
}

#[derive(Template)]
#[template(path = "admin/people_import.html")]
struct UploadTemplate {
    c: Chrome,
    csrf: String,
    errors: Errors,
    imports: Vec<ImportLine>,
}

/// The state to show: a running import whose task stopped is interrupted.
pub(crate) fn state_of(import: &Import) -> &'static str {
    match import.state.as_str() {
        "uploaded" => "uploaded",
        "validated" => "validated",
        "running" if import.is_interrupted(crate::now() - import_job::STALE_SECS) => "interrupted",
        "running" => "running",
        "done" => "done",
        _ => "failed",
    }
}

async fn upload_page(state: &Shared, staff: &Staff, lang: Lang, errors: Errors) -> Result<UploadTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "import-title",
        "/admin/people/import",
        "people",
    );
    let locale = c.t.locale;
    let count = |n: i64| relais_core::project::format_count(n, locale);
    let imports = state
        .store
        .imports(access, 100)
        .await?
        .into_iter()
        .map(|i| {
            let result = match i.state.as_str() {
                "uploaded" => String::new(),
                "validated" => c.t.args(
                    "import-list-checked",
                    &[("rows", &count(i.total_rows)), ("refused", &count(i.refused_rows))],
                ),
                _ => c.t.args(
                    "import-list-result",
                    &[
                        ("created", &count(i.created_rows)),
                        ("updated", &count(i.updated_rows)),
                        ("refused", &count(i.refused_rows)),
                    ],
                ),
            };
            ImportLine {
                id: i.id,
                when: local_time(i.created_at, &org.timezone),
                state: c.t.get(&format!("import-state-{}", state_of(&i))),
                file_name: i.file_name,
                result,
            }
        })
        .collect();
    Ok(UploadTemplate {
        csrf: staff.session.csrf.clone(),
        errors,
        imports,
        c,
    })
}

/// `GET /admin/people/import` and `/admin/people/imports`: the upload form and past imports.
pub(crate) async fn list(State(state): State<Shared>, staff: Staff, lang: Lang) -> Result<Response, AppError> {
    page(&upload_page(&state, &staff, lang, Errors::default()).await?)
}

/// `POST /admin/people/import`: keeps the file in the data folder, chunk by chunk,
/// learning its encoding on the way; then reads its header and opens the mapping step.
pub(crate) async fn upload(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?.clone();
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(e.body_text())
        }
    };
    let dir = state.config.data_dir.join("imports");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let relative = format!("imports/{}-{}.csv", access.org_id(), relais_store::random_token());
    let path = state.config.data_dir.join(&relative);
    let mut csrf_ok = false;
    let mut stored: Option<(String, u64, Encoding)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(fail)? {
        match field.name() {
            Some("csrf") => {
                staff.check_csrf(&field.text().await.map_err(fail)?)?;
                csrf_ok = true;
            }
            // The form puts the token first: nothing is written for a forged request.
            Some("file") if csrf_ok => {
                let name: String = field.file_name().unwrap_or("import.csv").chars().take(200).collect();
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let mut probe = Utf8Probe::default();
                let mut bytes = 0u64;
                let written = async {
                    while let Some(chunk) = field.chunk().await.map_err(fail)? {
                        probe.feed(&chunk);
                        bytes += chunk.len() as u64;
                        file.write_all(&chunk)
                            .await
                            .map_err(|e| AppError::Internal(e.to_string()))?;
                    }
                    file.flush().await.map_err(|e| AppError::Internal(e.to_string()))
                }
                .await;
                if let Err(e) = written {
                    let _ = tokio::fs::remove_file(&path).await;
                    return Err(e);
                }
                stored = Some((name, bytes, probe.finish()));
            }
            Some("file") => return Err(AppError::Csrf),
            _ => {}
        }
    }
    let refuse = |key: &'static str| refuse_upload(&state, &staff, lang, &path, key);
    let Some((name, bytes, encoding)) = stored.filter(|s| s.1 > 0) else {
        return refuse("import-err-no-file").await;
    };
    // The separator is the header line's: read it raw, then the whole header as records.
    let separator = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || first_line_separator(&path, encoding))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    };
    let opened = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || ImportFile::open(&path, encoding, separator))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    };
    let header = match opened {
        Ok(f) => f.header,
        Err(_) => return refuse("import-err-read").await,
    };
    let columns = match header {
        Some(Ok(h)) if h.cells.iter().any(|c| !c.is_empty()) => h.cells,
        Some(Err(_)) => return refuse("import-err-header").await,
        _ => return refuse("import-err-empty").await,
    };
    let mapping = import_job::mapping_key(&guess_mapping(&columns));
    let new = NewImport {
        file_name: &name,
        file_path: &relative,
        file_bytes: bytes as i64,
        encoding: encoding.key(),
        separator: &separator.to_string(),
        mapping: &mapping,
        created_by: Some(staff.user.id),
    };
    let import = state.store.create_import(&access, &new, crate::now()).await?;
    Ok(Redirect::to(&format!("/admin/people/imports/{}", import.id)).into_response())
}

/// Removes a refused upload and shows the form again with the reason.
async fn refuse_upload(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    path: &std::path::Path,
    key: &'static str,
) -> Result<Response, AppError> {
    let _ = tokio::fs::remove_file(path).await;
    let t = state.tr(lang.resolve());
    refused(&upload_page(state, staff, lang, Errors::one("file", t.get(key))).await?)
}

/// The separator of a file's first non-blank line.
fn first_line_separator(path: &std::path::Path, encoding: Encoding) -> char {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return ';';
    };
    let mut reader = std::io::BufReader::new(file);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
        let line = encoding.decode(&buf);
        if !line.trim().is_empty() {
            return sniff_separator(&line);
        }
        buf.clear();
    }
    ';'
}
