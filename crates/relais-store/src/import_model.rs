//! Rows of the import aggregate ([`crate::ImportStore`]).

use relais_core::import::MergePolicy;
use relais_core::import::row::ImportRow;

/// Columns of [`Import`], in its field order.
pub(crate) const IMPORT_COLUMNS: &str = "id, org_id, created_by, created_at, file_name, file_path, file_bytes, encoding, \
     separator, mapping, tags, merge_policy, consent_wording, state, total_rows, to_create, to_update, to_keep, \
     refused_rows, last_line, created_rows, updated_rows, unchanged_rows, consents_added, consents_withdrawn, \
     committed_line, started_at, heartbeat_at, finished_at, error";

/// One uploaded file and what became of it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Import {
    /// Its number (also in `import:<id>`, the source of the people it created).
    pub id: i64,
    /// The association.
    pub org_id: i64,
    /// Who uploaded it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: i64,
    /// The file's name as the browser sent it (shown, never used as a path).
    pub file_name: String,
    /// Where the upload is kept, relative to the data folder.
    pub file_path: String,
    /// Its size.
    pub file_bytes: i64,
    /// How its bytes are read (`relais_core::import::text::Encoding` key).
    pub encoding: String,
    /// Its cell separator.
    pub separator: String,
    /// Each column's field key, comma-separated (empty: ignored).
    pub mapping: String,
    /// Tags put on everyone in the file, comma-separated.
    pub tags: String,
    /// `fill` or `overwrite`.
    pub merge_policy: String,
    /// The newsletter wording the people agreed to, when the file says they did.
    pub consent_wording: Option<String>,
    /// `uploaded`, `validated`, `running`, `done` or `failed`.
    pub state: String,
    /// Rows in the file (the header excluded), from the validation.
    pub total_rows: i64,
    /// People the validation found new.
    pub to_create: i64,
    /// People it found known, with something to change.
    pub to_update: i64,
    /// People it found known, with nothing to change.
    pub to_keep: i64,
    /// Rows it refused.
    pub refused_rows: i64,
    /// The file's last line.
    pub last_line: i64,
    /// People committed as created.
    pub created_rows: i64,
    /// People committed as updated.
    pub updated_rows: i64,
    /// People met, with nothing to change.
    pub unchanged_rows: i64,
    /// Newsletter consents recorded.
    pub consents_added: i64,
    /// People the file said agreed, who had withdrawn in Relais: left withdrawn.
    pub consents_withdrawn: i64,
    /// Every line up to this one is committed.
    pub committed_line: i64,
    /// When the import began.
    pub started_at: Option<i64>,
    /// The last sign of life of the task importing it.
    pub heartbeat_at: Option<i64>,
    /// When it ended.
    pub finished_at: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Import {
    /// Rows committed so far (created, updated or unchanged).
    pub fn committed_rows(&self) -> i64 {
        self.created_rows + self.updated_rows + self.unchanged_rows
    }

    /// Whether it is running but its task gave no sign of life since `stale_before`
    /// (the process stopped): the page says how far it got, and it can resume.
    pub fn is_interrupted(&self, stale_before: i64) -> bool {
        self.state == "running" && self.heartbeat_at.unwrap_or(0) < stale_before
    }
}

/// A file just uploaded.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    /// As the browser sent it.
    pub file_name: &'a str,
    /// Relative to the data folder.
    pub file_path: &'a str,
    /// Its size.
    pub file_bytes: i64,
    /// Encoding key.
    pub encoding: &'a str,
    /// Cell separator.
    pub separator: &'a str,
    /// The guessed mapping.
    pub mapping: &'a str,
    /// The uploader.
    pub created_by: Option<i64>,
}

/// The mapping, options and figures of a validation over the whole file.
#[derive(Debug, Clone)]
pub struct ImportPlan<'a> {
    /// Field key per column.
    pub mapping: &'a str,
    /// Batch tags, comma-separated.
    pub tags: &'a str,
    /// What to do with known people.
    pub policy: MergePolicy,
    /// The newsletter wording agreed to, if the file says so.
    pub consent_wording: Option<&'a str>,
    /// Rows in the file.
    pub total_rows: i64,
    /// New people.
    pub to_create: i64,
    /// Known people to change.
    pub to_update: i64,
    /// Known people left as they are.
    pub to_keep: i64,
    /// Refused rows.
    pub refused_rows: i64,
    /// The file's last line.
    pub last_line: i64,
}

/// One reason a row was refused.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Refusal {
    /// Its line in the file.
    pub line: i64,
    /// `relais_core::import::row::Problem::code`.
    pub reason: String,
    /// The refused value, the first line of a duplicate, or the cell counts.
    pub detail: String,
}

/// Rows to commit in one transaction.
#[derive(Debug, Clone)]
pub struct ImportChunk<'a> {
    /// Checked rows, each address once.
    pub rows: &'a [ImportRow],
    /// What to do with known people.
    pub policy: MergePolicy,
    /// Tags for everyone in the file.
    pub batch_tags: &'a [String],
    /// The newsletter wording agreed to, if the file says so.
    pub consent_wording: Option<&'a str>,
    /// The language of new people whose row has none.
    pub default_locale: relais_core::Locale,
    /// Every line up to this one is in this chunk or an earlier one.
    pub last_line: i64,
}

/// What one chunk did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkCounts {
    /// New people.
    pub created: i64,
    /// Known people changed.
    pub updated: i64,
    /// Known people unchanged.
    pub unchanged: i64,
    /// Newsletter consents recorded.
    pub consents_added: i64,
    /// People left withdrawn although the file said they agreed.
    pub consents_withdrawn: i64,
}
