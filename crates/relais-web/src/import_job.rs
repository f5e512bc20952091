//! The work behind `/admin/people/import`: the upload kept on disk (never whole in
//! memory), read back line by line, validated over the whole file before anything
//! is written, then imported by a task in chunks of [`CHUNK`] rows, each chunk one
//! transaction that also records how far the import got.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use relais_core::import::records::{BrokenRecord, Record, Records};
use relais_core::import::row::{ImportRow, Problem, Seen, check_row, merge};
use relais_core::import::text::{BOM, Encoding};
use relais_core::import::{Field, MergePolicy};
use relais_store::{Import, ImportChunk, OrgAccess, Refusal};

use crate::{AppError, Shared};

/// Rows read, checked and committed at a time: big enough for set-based statements
/// to pay, small enough that a chunk's transaction never holds SQLite's write lock
/// for long (petitions keep being signed during an import).
pub(crate) const CHUNK: usize = 5000;
/// A running import whose task gave no sign of life for this long was interrupted
/// (a chunk takes well under a second).
pub(crate) const STALE_SECS: i64 = 60;

/// Numbered, decoded lines of a stored upload.
struct FileLines {
    reader: BufReader<File>,
    encoding: Encoding,
    line: usize,
    buf: Vec<u8>,
    failed: Arc<AtomicBool>,
}

impl Iterator for FileLines {
    type Item = (usize, String);

    fn next(&mut self) -> Option<(usize, String)> {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) => {
                self.line += 1;
                let mut bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
                bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                if self.line == 1 {
                    bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
                }
                Some((self.line, self.encoding.decode(bytes)))
            }
            Err(e) => {
                tracing::error!(error = %e, "reading an import file");
                self.failed.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

/// A stored upload opened for reading: its header row, then its records.
pub(crate) struct ImportFile {
    records: Records<FileLines>,
    failed: Arc<AtomicBool>,
    /// The first record: the column names (an error when its quoting is broken;
    /// `None` for a file without any line).
    pub header: Option<Result<Record, BrokenRecord>>,
}

impl ImportFile {
    /// Opens `path`, reading its bytes as `encoding` and its cells split by `separator`.
    pub(crate) fn open(path: &Path, encoding: Encoding, separator: char) -> std::io::Result<Self> {
        let failed = Arc::new(AtomicBool::new(false));
        let lines = FileLines {
            reader: BufReader::with_capacity(1 << 20, File::open(path)?),
            encoding,
            line: 0,
            buf: Vec::new(),
            failed: failed.clone(),
        };
        let mut records = Records::new(lines, separator);
        let header = records.next();
        if let Some(Ok(h)) = &header {
            records.set_width(h.cells.len());
        }
        Ok(Self {
            records,
            failed,
            header,
        })
    }

    /// The header's cells (empty when it had none).
    pub(crate) fn columns(&self) -> Vec<String> {
        match &self.header {
            Some(Ok(h)) => h.cells.clone(),
            _ => Vec::new(),
        }
    }

    /// Up to `n` more records.
    pub(crate) fn next_batch(&mut self, n: usize) -> Vec<Result<Record, BrokenRecord>> {
        self.records.by_ref().take(n).collect()
    }

    /// Whether reading stopped on an I/O error (the figures would be short).
    fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

/// Where an import's file is.
pub(crate) fn file_path(state: &Shared, import: &Import) -> PathBuf {
    state.config.data_dir.join(&import.file_path)
}

/// Opens an import's file off the async threads.
pub(crate) async fn open(state: &Shared, import: &Import) -> Result<ImportFile, AppError> {
    let path = file_path(state, import);
    let encoding = Encoding::from_key(&import.encoding).unwrap_or(Encoding::Utf8);
    let separator = import.separator.chars().next().unwrap_or(';');
    tokio::task::spawn_blocking(move || ImportFile::open(&path, encoding, separator))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("import file: {e}")))
}

/// The next records, read off the async threads.
async fn next_batch(file: ImportFile) -> Result<(ImportFile, Vec<Result<Record, BrokenRecord>>), AppError> {
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let batch = file.next_batch(CHUNK);
        (file, batch)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A stored mapping (`email,,first_name`) back as fields.
pub(crate) fn parse_mapping(stored: &str) -> Vec<Option<Field>> {
    stored.split(',').map(Field::from_key).collect()
}

/// A mapping as stored.
pub(crate) fn mapping_key(mapping: &[Option<Field>]) -> String {
    mapping
        .iter()
        .map(|f| f.map_or("", Field::key))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a validation over the whole file found.
#[derive(Debug, Default)]
pub(crate) struct Validation {
    pub total_rows: i64,
    pub to_create: i64,
    pub to_update: i64,
    pub to_keep: i64,
    pub refused_rows: i64,
    pub last_line: i64,
    pub refusals: Vec<Refusal>,
}

/// Reads the whole file, checks every row and counts what importing it would do,
/// writing nothing.
pub(crate) async fn validate(
    state: &Shared,
    access: &OrgAccess,
    import: &Import,
    mapping: &[Option<Field>],
    policy: MergePolicy,
) -> Result<Validation, AppError> {
    let mut file = open(state, import).await?;
    let width = file.columns().len();
    let mut seen = Seen::default();
    let mut v = Validation::default();
    let mut refused_lines = HashSet::new();
    loop {
        let (f, batch) = next_batch(file).await?;
        file = f;
        if batch.is_empty() {
            break;
        }
        let mut rows: Vec<ImportRow> = Vec::with_capacity(batch.len());
        let mut refuse = |line: usize, p: Problem| {
            refused_lines.insert(line);
            v.refusals.push(Refusal {
                line: line as i64,
                reason: p.code().to_owned(),
                detail: p.detail(),
            });
        };
        for record in batch {
            v.total_rows += 1;
            match record {
                Err(broken) => {
                    v.last_line = v.last_line.max(broken.line as i64);
                    refuse(broken.line, Problem::Quote(broken.error));
                }
                Ok(record) => {
                    v.last_line = v.last_line.max(record.line as i64);
                    match check_row(&record, mapping, width) {
                        Ok(row) => match seen.first_line(&row.email, row.line) {
                            Some(first_line) => refuse(row.line, Problem::Duplicate { first_line }),
                            None => rows.push(row),
                        },
                        Err(problems) => problems.into_iter().for_each(|p| refuse(record.line, p)),
                    }
                }
            }
        }
        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let known: HashMap<String, _> = state.store.known_people(access, &emails).await?.into_iter().collect();
        for row in &rows {
            match known.get(row.email.as_str()) {
                None => v.to_create += 1,
                Some(before) if merge(before, &row.incoming, policy) == *before => v.to_keep += 1,
                Some(_) => v.to_update += 1,
            }
        }
    }
    if file.failed() {
        return Err(AppError::Internal(
            "the stored import file could not be read whole".into(),
        ));
    }
    v.refused_rows = refused_lines.len() as i64;
    Ok(v)
}

/// Starts the import task; it ends the import `done`, or `failed` with the reason.
pub(crate) fn spawn(state: Shared, access: OrgAccess, import: Import) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let id = import.id;
        match run(&state, &access, &import).await {
            Ok(()) => {
                // The report stays in the database; the file, full of personal data, goes.
                if let Err(e) = tokio::fs::remove_file(file_path(&state, &import)).await {
                    tracing::warn!(import = id, error = %e, "could not remove an imported file");
                }
            }
            Err(e) => {
                tracing::error!(import = id, error = %e, "import failed");
                if let Err(e) = state
                    .store
                    .finish_import(&access, id, Some(&e.to_string()), crate::now())
                    .await
                {
                    tracing::error!(import = id, error = %e, "could not record an import's failure");
                }
            }
        }
    })
}

async fn run(state: &Shared, access: &OrgAccess, import: &Import) -> Result<(), AppError> {
    let mapping = parse_mapping(&import.mapping);
    let policy = MergePolicy::from_key(&import.merge_policy).unwrap_or(MergePolicy::FillEmpty);
    let tags: Vec<String> = import.tags.split(',').filter_map(relais_core::tag::normalise).collect();
    let refused: HashSet<i64> = state
        .store
        .refused_lines(access, import.id)
        .await?
        .into_iter()
        .collect();
    let default_locale = state.store.org(access).await?.locale();
    // A resumed import goes on after the last line its chunks committed.
    let committed = import.committed_line;
    let mut file = open(state, import).await?;
    let width = file.columns().len();
    loop {
        let (f, batch) = next_batch(file).await?;
        file = f;
        if batch.is_empty() {
            break;
        }
        let mut last = 0;
        let mut rows = Vec::with_capacity(batch.len());
        for record in batch {
            let Ok(record) = record else { continue };
            let line = record.line as i64;
            last = last.max(line);
            if line <= committed || refused.contains(&line) {
                continue;
            }
            // The validation's own rule: a row it let through passes again.
            if let Ok(row) = check_row(&record, &mapping, width) {
                rows.push(row);
            }
        }
        if last <= committed {
            continue;
        }
        let chunk = ImportChunk {
            rows: &rows,
            policy,
            batch_tags: &tags,
            consent_wording: import.consent_wording.as_deref(),
            default_locale,
            last_line: last,
        };
        state
            .store
            .import_chunk(access, import.id, &chunk, crate::now())
            .await?;
    }
    if file.failed() {
        return Err(AppError::Internal(
            "the stored import file could not be read whole".into(),
        ));
    }
    state.store.finish_import(access, import.id, None, crate::now()).await?;
    Ok(())
}
