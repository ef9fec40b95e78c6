//! A source file as the tool sees it: its text, and the habits the inserted
//! code must follow (line ending, BOM, indent unit).

use std::fmt;
use std::path::{Path, PathBuf};

/// A file that could not be read as Python source, with the position to blame.
#[derive(Debug, Clone)]
pub struct SourceError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// A decoded Python source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user named it (relative to the working directory when possible).
    pub path: PathBuf,
    /// Whether the file starts with a UTF-8 byte order mark (not part of `text`).
    pub bom: bool,
    /// The text after the BOM.
    pub text: String,
    /// The file's dominant line ending.
    pub line_ending: &'static str,
    /// The file's indentation unit, used where a function does not tell its own.
    pub indent_unit: String,
    /// Byte offsets where lines start, for positions.
    line_starts: Vec<usize>,
}

pub const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SourceFile {
    /// Decodes `bytes`; binary files and invalid UTF-8 are errors with a position.
    pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, SourceError> {
        let bom = bytes.starts_with(BOM);
        let body = if bom { &bytes[BOM.len()..] } else { &bytes[..] };
        if let Some(at) = memchr_nul(body) {
            let (line, column) = line_col_of_bytes(body, at);
            return Err(SourceError { line, column, message: "binary file: NUL byte; not source text".to_string() });
        }
        // The bytes become the text in place (no copy); the BOM is dropped from its front.
        let skip = if bom { BOM.len() } else { 0 };
        let mut text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                let (line, column) = line_col_of_bytes(&bytes[skip..], at.saturating_sub(skip));
                return Err(SourceError {
                    line,
                    column,
                    message: "invalid UTF-8; the file is left untouched".to_string(),
                });
            }
        };
        text.drain(..skip);
        // One pass over the line breaks for both the line starts and the line ending.
        let mut line_starts = vec![0];
        let mut crlf = 0;
        for (at, _) in text.match_indices('\n') {
            crlf += usize::from(at > 0 && text.as_bytes()[at - 1] == b'\r');
            line_starts.push(at + 1);
        }
        let line_ending = if crlf * 2 > line_starts.len() - 1 { "\r\n" } else { "\n" };
        let indent_unit = detect_indent_unit(&text);
        Ok(SourceFile { path: path.to_path_buf(), bom, text, line_ending, indent_unit, line_starts })
    }

    /// The bytes that were read from disk (BOM and text), to detect a change before writing.
    pub fn original(&self) -> Vec<u8> {
        self.encode(&self.text)
    }

    /// The bytes to write for a new text of this file: BOM kept.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        encode(self.bom, text)
    }

    /// 1-based line and column (in characters) of a byte offset in `text`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let start = self.line_starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }

    /// The byte offset of a 1-based line and column (in characters): `line_col`'s inverse.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let start = self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len());
        let rest = &self.text[start..];
        start + rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn line_col_of_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// The bytes of a text in a file's encoding: UTF-8, after a BOM when the file had one.
pub fn encode(bom: bool, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + BOM.len());
    if bom {
        out.extend_from_slice(BOM);
    }
    out.extend_from_slice(text.as_bytes());
    out
}

/// A source file seen once and let go of: what is needed to read it again
/// and know it unchanged.
pub struct Released {
    pub path: PathBuf,
    pub bom: bool,
    fingerprint: (usize, u64),
}

impl Released {
    /// The file whose bytes were just read.
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> Released {
        Released { path: path.to_path_buf(), bom: bytes.starts_with(BOM), fingerprint: fingerprint(&[bytes]) }
    }

    /// The file read and decoded again: an error when it is no longer what was first read.
    pub fn reload(&self) -> Result<SourceFile, SourceError> {
        let changed = |message: String| SourceError { line: 1, column: 1, message };
        let bytes = std::fs::read(&self.path).map_err(|err| changed(format!("cannot read it again: {err}")))?;
        if fingerprint(&[&bytes]) != self.fingerprint {
            return Err(changed("file changed during the run; left untouched".into()));
        }
        SourceFile::decode(&self.path, bytes)
    }
}

/// A file's length and a hash of its bytes, given in pieces (hashed as one
/// run of bytes, not copied together): enough to tell that it changed.
fn fingerprint(pieces: &[&[u8]]) -> (usize, u64) {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    for piece in pieces {
        hasher.write(piece);
    }
    (pieces.iter().map(|p| p.len()).sum(), hasher.finish())
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    // `contains` on bytes is a vectorised search; the position only when there is one.
    bytes.contains(&0).then(|| bytes.iter().position(|&b| b == 0)).flatten()
}

/// The leading whitespace of the first indented code line after a line ending
/// in `:`, which in Python is one indentation level.
fn detect_indent_unit(text: &str) -> String {
    let mut after_colon = false;
    // The quote of a triple-quoted string still open at the start of the line: its lines are text,
    // not code (a docstring's `Stack:` and its indented list say nothing of the file's unit).
    let mut open: Option<&str> = None;
    for line in text.lines() {
        let in_string = open.is_some();
        let mut rest = line;
        loop {
            let found = match open {
                Some(quote) => rest.find(quote).map(|i| (i, None)),
                None => ["\"\"\"", "'''"].iter().filter_map(|q| rest.find(q).map(|i| (i, Some(*q)))).min(),
            };
            let Some((at, opened)) = found else { break };
            rest = &rest[at + 3..];
            open = opened;
        }
        if in_string {
            after_colon = false;
            continue;
        }
        let trimmed = line.trim_end_matches('\r');
        let code = trimmed.trim_start();
        if code.is_empty() || code.starts_with('#') {
            continue;
        }
        if after_colon {
            let indent = &trimmed[..trimmed.len() - code.len()];
            if !indent.is_empty() {
                return indent.to_string();
            }
        }
        after_colon = trimmed.trim_end().ends_with(':') && !trimmed.starts_with(|c: char| c.is_whitespace());
    }
    "    ".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_habits() {
        let file = SourceFile::decode(Path::new("a.py"), b"def f():\r\n\tpass\r\n".to_vec()).unwrap();
        assert_eq!(file.line_ending, "\r\n");
        assert_eq!(file.indent_unit, "\t");
        let file = SourceFile::decode(Path::new("a.py"), b"\xEF\xBB\xBFclass A:\n  x = 1\n".to_vec()).unwrap();
        assert!(file.bom);
        assert_eq!(file.indent_unit, "  ");
        assert_eq!(file.encode("y"), b"\xEF\xBB\xBFy".to_vec());
        // A docstring's indented text is not code.
        let docstring = b"\"\"\"Voice agent.\n\nStack:\n  LLM - gpt-4o-mini\n\"\"\"\n\nasync def f():\n    '''Steps:\n      one\n    '''\n    pass\n";
        let file = SourceFile::decode(Path::new("a.py"), docstring.to_vec()).unwrap();
        assert_eq!(file.indent_unit, "    ");
    }

    #[test]
    fn reports_bad_bytes_with_position() {
        let err = SourceFile::decode(Path::new("a.py"), b"x = 1\ny = '\xff'\n".to_vec()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 6));
        let err = SourceFile::decode(Path::new("a.py"), b"x\0".to_vec()).unwrap_err();
        assert_eq!((err.line, err.column), (1, 2));
    }

    #[test]
    fn offsets_and_positions_are_inverse() {
        let text = "x = 'é'\r\n\ty = \"ü\" + x\nz\n";
        let file = SourceFile::decode(Path::new("a.py"), text.as_bytes().to_vec()).unwrap();
        for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let (line, column) = file.line_col(offset);
            assert_eq!(file.offset(line, column), offset, "offset {offset} is line {line}, column {column}");
        }
        assert_eq!(file.offset(9, 1), text.len());
    }
}
