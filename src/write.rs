//! Atomic writes: a temporary file in the same directory, renamed over the
//! original, permissions kept; never over a file that changed since it was read.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Why a file was not written.
#[derive(Debug)]
pub enum WriteError {
    /// The file on disk is no longer what was read: someone else wrote it.
    ChangedDuringRun,
    /// The file is read-only: its owner did not want it changed.
    ReadOnly,
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::ChangedDuringRun => write!(f, "file changed during the run; not overwritten"),
            WriteError::ReadOnly => write!(f, "read-only file; not written"),
            WriteError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// Replaces `path`'s content with `new`, provided it still holds `expected`.
pub fn replace_atomically(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let metadata = fs::metadata(path).map_err(WriteError::Io)?;
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    let mut temp =
        tempfile::Builder::new().prefix(".voice-otel-fix-").suffix(".tmp").tempfile_in(dir).map_err(WriteError::Io)?;
    temp.write_all(new).map_err(WriteError::Io)?;
    temp.as_file().sync_all().map_err(WriteError::Io)?;
    fs::set_permissions(temp.path(), metadata.permissions()).map_err(WriteError::Io)?;
    // Checked as late as possible: what is on disk must still be what we planned on.
    let current = fs::read(path).map_err(WriteError::Io)?;
    if current != expected {
        return Err(WriteError::ChangedDuringRun);
    }
    temp.persist(path).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_refuses_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        fs::write(&path, "old").unwrap();
        replace_atomically(&path, b"old", b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(matches!(replace_atomically(&path, b"old", b"newer"), Err(WriteError::ChangedDuringRun)));
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
    }
}
