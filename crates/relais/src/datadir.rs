//! The data folder: its lock and the installation's signing secret.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why the data folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// Another process serves this folder's SQLite database.
    #[error(
        "another Relais server is already using the data folder {0} (its lock file {0}/relais.lock is held); stop it or choose another RELAIS_DATA"
    )]
    Locked(PathBuf),
    /// The folder or a file in it cannot be read or written.
    #[error("data folder {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The secret file exists but is not what Relais wrote.
    #[error("{0} is not a valid Relais secret (64 hex characters); restore it from backup")]
    BadSecret(PathBuf),
}

/// Holds the folder's lock while alive; the OS releases it when the process ends,
/// even on `kill -9`, so a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

/// Creates the folder if needed.
pub fn ensure(dir: &Path) -> Result<(), DataDirError> {
    std::fs::create_dir_all(dir).map_err(|e| DataDirError::Io(dir.to_path_buf(), e))
}

/// Takes the exclusive lock of the folder.
pub fn lock(dir: &Path) -> Result<DataLock, DataDirError> {
    let path = dir.join("relais.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| DataDirError::Io(path.clone(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(DataLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(DataDirError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(DataDirError::Io(path, e)),
    }
}

/// Reads the signing secret, generating it (mode 0600) on first start.
pub fn secret(dir: &Path) -> Result<Vec<u8>, DataDirError> {
    let path = dir.join("secret.key");
    let io = |e| DataDirError::Io(path.clone(), e);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let bytes: [u8; 32] = rand::random();
            file.write_all(hex::encode(bytes).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(bytes.to_vec())
        }
        // Someone (us earlier, or a concurrent `relais` process) made it: read it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut text = String::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(io)?;
            let bytes = hex::decode(text.trim()).map_err(|_| DataDirError::BadSecret(path.clone()))?;
            if bytes.len() < 32 {
                return Err(DataDirError::BadSecret(path));
            }
            Ok(bytes)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = secret(dir.path()).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(secret(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        assert!(matches!(lock(dir.path()), Err(DataDirError::Locked(_))));
        drop(held);
        assert!(lock(dir.path()).is_ok());
    }
}
