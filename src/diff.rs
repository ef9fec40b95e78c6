//! Unified diffs that `git apply` and `patch -p1` accept.

use similar::TextDiff;

/// A unified diff of one file, `a/` and `b/` prefixed, or `None` when equal.
pub fn unified(path: &str, old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = header(path);
    // similar writes its `---`/`+++` lines before the first hunk: without hunks, none.
    out.push_str(&diff.unified_diff().context_radius(3).to_string());
    Some(out)
}

/// `diff --git`, `---` and `+++` lines for `path`, quoted as git does.
fn header(path: &str) -> String {
    let name = quote_path(path);
    let (a, b) = (prefixed("a/", &name), prefixed("b/", &name));
    format!("diff --git {a} {b}\n--- {a}\n+++ {b}\n")
}

/// One edit that made `new` from `old`: the old bytes `start..end` became `new_len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub start: usize,
    pub end: usize,
    pub new_len: usize,
}

/// `unified`, for a change known as the edits that made `new` from `old`
/// (sorted by `start`, not overlapping). Only the lines each edit touches are
/// diffed: a Myers diff of a whole file with many separate insertions (helpers
/// at the top, a span around a call far below) costs more than the rest of the
/// file's work. The hunks are the ones a whole-file diff finds, but where an
/// inserted line equals a neighbour, which copy is called new may differ.
pub fn unified_changes(path: &str, old: &str, new: &str, changes: &[Change]) -> Option<String> {
    if old == new {
        return None;
    }
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let new_starts: Vec<usize> = line_starts(&new_lines);
    // Cuts: old line starts that no edit spans and that start a line of `new`
    // too; between two cuts the lines are equal or diffed on their own.
    let mut cuts: Vec<(usize, usize)> = vec![(0, 0)];
    let (mut next, mut shift, mut at) = (0, 0isize, 0);
    for (line, text) in old_lines.iter().enumerate() {
        // Edits that end by here (an insertion right at `at` belongs after the cut).
        while let Some(change) = changes.get(next).filter(|c| c.end <= at && !(c.start == at && c.end == at)) {
            shift += change.new_len as isize - (change.end - change.start) as isize;
            next += 1;
        }
        let spanned = changes.get(next).is_some_and(|c| c.start < at && at < c.end);
        let new_at = at as isize + shift;
        if line > 0 && !spanned && new_at >= 0 {
            if let Ok(new_line) = new_starts.binary_search(&(new_at as usize)) {
                cuts.push((line, new_line));
            }
        }
        at += text.len();
    }
    cuts.push((old_lines.len(), new_lines.len()));
    // Equal chunks are kept; the changed chunks between two equal ones are diffed together.
    let mut ops: Vec<similar::DiffOp> = Vec::new();
    let mut changed: Option<(usize, usize)> = None;
    let diff_changed = |ops: &mut Vec<similar::DiffOp>, from: (usize, usize), to: (usize, usize)| {
        let (old_chunk, new_chunk) = (&old_lines[from.0..to.0], &new_lines[from.1..to.1]);
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, old_chunk, new_chunk) {
            push_op(ops, shifted(op, from.0, from.1));
        }
    };
    for pair in cuts.windows(2) {
        let ((old_from, new_from), (old_to, new_to)) = (pair[0], pair[1]);
        if old_lines[old_from..old_to] != new_lines[new_from..new_to] {
            changed.get_or_insert((old_from, new_from));
            continue;
        }
        if let Some(from) = changed.take() {
            diff_changed(&mut ops, from, (old_from, new_from));
        }
        push_op(&mut ops, similar::DiffOp::Equal { old_index: old_from, new_index: new_from, len: old_to - old_from });
    }
    if let Some(from) = changed {
        diff_changed(&mut ops, from, (old_lines.len(), new_lines.len()));
    }
    let mut out = header(path);
    for hunk in similar::group_diff_ops(ops, 3) {
        let (first, last) = (&hunk[0], &hunk[hunk.len() - 1]);
        let range = |start: usize, end: usize| match end - start {
            1 => format!("{}", start + 1),
            0 => format!("{start},0"),
            len => format!("{},{len}", start + 1),
        };
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(first.old_range().start, last.old_range().end),
            range(first.new_range().start, last.new_range().end)
        ));
        for op in &hunk {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let mut lines = |mark: char, lines: &[&str]| {
                for line in lines {
                    out.push(mark);
                    out.push_str(line);
                    if !line.ends_with('\n') {
                        out.push_str("\n\\ No newline at end of file\n");
                    }
                }
            };
            match tag {
                similar::DiffTag::Equal => lines(' ', &old_lines[old_range]),
                similar::DiffTag::Delete => lines('-', &old_lines[old_range]),
                similar::DiffTag::Insert => lines('+', &new_lines[new_range]),
                similar::DiffTag::Replace => {
                    lines('-', &old_lines[old_range]);
                    lines('+', &new_lines[new_range]);
                }
            }
        }
    }
    Some(out)
}

fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut at = 0;
    lines
        .iter()
        .map(|line| {
            let start = at;
            at += line.len();
            start
        })
        .collect()
}

/// An op of a chunk, in the whole texts' line numbers.
fn shifted(op: similar::DiffOp, old_from: usize, new_from: usize) -> similar::DiffOp {
    use similar::DiffOp::*;
    match op {
        Equal { old_index, new_index, len } => {
            Equal { old_index: old_index + old_from, new_index: new_index + new_from, len }
        }
        Delete { old_index, old_len, new_index } => {
            Delete { old_index: old_index + old_from, old_len, new_index: new_index + new_from }
        }
        Insert { old_index, new_index, new_len } => {
            Insert { old_index: old_index + old_from, new_index: new_index + new_from, new_len }
        }
        Replace { old_index, old_len, new_index, new_len } => {
            Replace { old_index: old_index + old_from, old_len, new_index: new_index + new_from, new_len }
        }
    }
}

/// Appends an op, joining it to an equal run before it (grouping into hunks
/// needs equal stretches whole to cut them down to the context lines).
fn push_op(ops: &mut Vec<similar::DiffOp>, op: similar::DiffOp) {
    if let (Some(similar::DiffOp::Equal { len, .. }), similar::DiffOp::Equal { len: more, .. }) = (ops.last_mut(), op) {
        *len += more;
        return;
    }
    if !matches!(op, similar::DiffOp::Equal { len: 0, .. }) {
        ops.push(op);
    }
}

fn prefixed(prefix: &str, name: &str) -> String {
    match name.strip_prefix('"') {
        Some(rest) => format!("\"{prefix}{rest}"),
        None => format!("{prefix}{name}"),
    }
}

/// Paths with spaces, quotes or non-ASCII are written as git does: in C-style quotes.
fn quote_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let needs = path.chars().any(|c| c == ' ' || c == '"' || c == '\t' || !c.is_ascii() || c.is_control());
    if !needs {
        return path;
    }
    let mut out = String::from("\"");
    for byte in path.bytes() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push('"');
    out
}

/// ANSI colours for a terminal: headers bold, additions green, removals red, hunk headers cyan.
pub fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let (style, body) = match line.as_bytes().first() {
            _ if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") => ("\x1b[1m", line),
            Some(b'+') => ("\x1b[32m", line),
            Some(b'-') => ("\x1b[31m", line),
            Some(b'@') => ("\x1b[36m", line),
            _ => ("", line),
        };
        if style.is_empty() {
            out.push_str(body);
        } else {
            let trimmed = body.trim_end_matches('\n');
            out.push_str(style);
            out.push_str(trimmed);
            out.push_str("\x1b[0m");
            out.push_str(&body[trimmed.len()..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Applies a unified diff made by this module to `old`.
    fn patch(old: &str, diff: &str) -> String {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut next = 0;
        let mut lines = diff.split_inclusive('\n').skip(3).peekable();
        while let Some(header) = lines.next() {
            let old_start: usize = header[4..].split([',', ' ']).next().unwrap().parse().unwrap();
            // A range of length 0 names the line before it.
            let zero = header[4..].split(' ').next().unwrap().ends_with(",0");
            let start = if zero { old_start } else { old_start - 1 };
            out.extend(old_lines[next..start].iter().copied());
            next = start;
            while let Some(line) = lines.next_if(|l| !l.starts_with("@@")) {
                let no_newline = lines.next_if(|l| l.starts_with("\\ No newline")).is_some();
                let body = if no_newline { line.strip_suffix('\n').unwrap() } else { line };
                match &body[..1] {
                    " " => {
                        out.push_str(&body[1..]);
                        next += 1;
                    }
                    "-" => next += 1,
                    "+" => out.push_str(&body[1..]),
                    other => panic!("unexpected line {other:?}"),
                }
            }
        }
        out.extend(old_lines[next..].iter().copied());
        out
    }

    proptest! {
        #[test]
        fn a_diff_from_the_edits_patches_old_into_new(
            lines in proptest::collection::vec(prop_oneof!["", "a", "b", "    x = 1", "pass"], 0..40),
            final_newline in any::<bool>(),
            edits in proptest::collection::vec((0usize..400, 0usize..4, prop_oneof!["", "\n", "    ", "y\n", "z", "with s:\n    "]), 0..8),
        ) {
            let mut old = lines.join("\n");
            if final_newline && !old.is_empty() {
                old.push('\n');
            }
            // Non-overlapping edits at character boundaries (the text is ASCII).
            let mut taken = 0;
            let mut planned = Vec::new();
            let mut positions: Vec<_> = edits.into_iter().map(|(at, len, text)| (at % (old.len() + 1), len, text)).collect();
            positions.sort();
            for (at, len, text) in positions {
                if at < taken {
                    continue;
                }
                let end = (at + len).min(old.len());
                planned.push(crate::edit::Edit { start: at, end, text: text.to_string(), order: 1 });
                taken = end.max(at + 1);
            }
            let new = crate::edit::apply(&old, planned.clone()).unwrap();
            let changes: Vec<Change> =
                planned.iter().map(|e| Change { start: e.start, end: e.end, new_len: e.text.len() }).collect();
            match unified_changes("a.py", &old, &new, &changes) {
                None => prop_assert_eq!(&old, &new),
                Some(diff) => prop_assert_eq!(patch(&old, &diff), new, "{}", diff),
            }
        }
    }

    #[test]
    fn a_diff_from_the_edits_is_the_whole_file_diff_for_plain_insertions() {
        let old = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n";
        let new = "import os\nimport x\n\n\ndef f():\n    return 1\n\n\n@d\ndef g():\n    return 2\n";
        let changes = [Change { start: 10, end: 10, new_len: 9 }, Change { start: 44, end: 44, new_len: 3 }];
        assert_eq!(unified_changes("a.py", old, new, &changes), unified("a.py", old, new));
        assert_eq!(patch(old, &unified_changes("a.py", old, new, &changes).unwrap()), new);
    }

    #[test]
    fn headers_and_quoting() {
        let d = unified("pkg/agent.py", "a\n", "b\n").unwrap();
        assert!(d.starts_with("diff --git a/pkg/agent.py b/pkg/agent.py\n--- a/pkg/agent.py\n+++ b/pkg/agent.py\n"));
        let d = unified("my dir/agent.py", "a\n", "b\n").unwrap();
        assert!(d.contains("--- \"a/my dir/agent.py\""), "{d}");
        assert!(unified("x", "same", "same").is_none());
    }
}
