//! Unified diffs that `git apply` and `patch -p1` accept.

use similar::TextDiff;

/// A unified diff of one file, `a/` and `b/` prefixed, or `None` when equal.
pub fn unified(path: &str, old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let name = quote_path(path);
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    out.push_str(&format!("diff --git {} {}\n", prefixed("a/", &name), prefixed("b/", &name)));
    out.push_str(
        &diff.unified_diff().context_radius(3).header(&prefixed("a/", &name), &prefixed("b/", &name)).to_string(),
    );
    Some(out)
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

    #[test]
    fn headers_and_quoting() {
        let d = unified("pkg/agent.py", "a\n", "b\n").unwrap();
        assert!(d.starts_with("diff --git a/pkg/agent.py b/pkg/agent.py\n--- a/pkg/agent.py\n+++ b/pkg/agent.py\n"));
        let d = unified("my dir/agent.py", "a\n", "b\n").unwrap();
        assert!(d.contains("--- \"a/my dir/agent.py\""), "{d}");
        assert!(unified("x", "same", "same").is_none());
    }
}
