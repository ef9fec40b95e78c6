//! Edits: byte ranges of the original text and their replacements, applied
//! once, in one step, against the text they were planned on.

/// One replacement. Insertions have `start == end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Among edits at the same offset, lower goes first: the module's setup
    /// (0) before any statement's new lines (1), new lines inserted at a line
    /// start before the indentation added to that line (2), and a call's
    /// wrapping last (3).
    pub order: u8,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit { start: at, end: at, text: text.into(), order: 1 }
    }

    /// Module-level setup inserted at `at`: before whatever a statement that
    /// starts there gets (a `with` around it, a decorator).
    pub fn setup(at: usize, text: impl Into<String>) -> Edit {
        Edit { start: at, end: at, text: text.into(), order: 0 }
    }

    /// Inserts whole rendered `lines` (each ending with `line_ending`) at a line
    /// start. At the end of a file without a final newline, the lines go after
    /// a new line ending and the file still ends without one.
    pub fn lines(source: &str, at: usize, lines: &str, line_ending: &str) -> Edit {
        if at == source.len() && !source.is_empty() && !source.ends_with('\n') {
            let body = lines.strip_suffix(line_ending).unwrap_or(lines);
            return Edit::insert(at, format!("{line_ending}{body}"));
        }
        Edit::insert(at, lines)
    }

    pub fn indent(at: usize, text: impl Into<String>) -> Edit {
        Edit { start: at, end: at, text: text.into(), order: 2 }
    }
}

/// Two edits that replace overlapping ranges: a bug in a transform.
#[derive(Debug)]
pub struct OverlappingEdits(pub Edit, pub Edit);

/// Applies `edits` to `text`. Identical insertions are all applied: two
/// transforms that each indent a line by one level indent it by two.
pub fn apply(text: &str, mut edits: Vec<Edit>) -> Result<String, OverlappingEdits> {
    edits.sort_by_key(|e| (e.start, e.order, e.end));
    let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut cursor = 0;
    let mut previous: Option<&Edit> = None;
    for edit in &edits {
        if edit.start < cursor {
            let prev = previous.cloned().unwrap_or_else(|| edit.clone());
            return Err(OverlappingEdits(prev, edit.clone()));
        }
        out.push_str(&text[cursor..edit.start]);
        out.push_str(&edit.text);
        cursor = edit.end;
        previous = Some(edit);
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_order_and_rejects_overlap() {
        let edits = vec![Edit::indent(4, "  "), Edit::insert(4, "new\n"), Edit::insert(0, "# top\n")];
        assert_eq!(apply("abc\ndef\n", edits).unwrap(), "# top\nabc\nnew\n  def\n");
        let edits = vec![
            Edit { start: 0, end: 3, text: "x".into(), order: 0 },
            Edit { start: 2, end: 4, text: "y".into(), order: 0 },
        ];
        assert!(apply("abcdef", edits).is_err());
    }
}
