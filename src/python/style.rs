//! The file's quote style, kept in the code we insert: templates are written
//! with double quotes; in a file that mostly uses single quotes, our plain
//! string literals are written with single quotes (docstrings stay `"""`, as
//! PEP 257 and ruff's formatter keep them).

/// `code` with its plain double-quoted literals in single quotes, where that
/// needs no escaping. Comments and triple-quoted strings are left as they are.
pub fn to_single_quotes(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if c == '#' {
            let end = rest.find('\n').unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let quote = &rest[..3];
            let end = rest[3..].find(quote).map_or(rest.len(), |i| i + 6);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if c == '"' || c == '\'' {
            let end = rest[1..].find([c, '\n']).map_or(rest.len(), |i| i + 2);
            let literal = &rest[..end];
            let content = &literal[1..literal.len().saturating_sub(1)];
            if c == '"' && literal.ends_with('"') && literal.len() >= 2 && !content.contains(['\'', '\\']) {
                out.push('\'');
                out.push_str(content);
                out.push('\'');
            } else {
                out.push_str(literal);
            }
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_plain_literals_only() {
        assert_eq!(
            to_single_quotes("x = {\"tenant.id\": t, \"it's\": 1}  # \"comment\"\n\"\"\"Doc \"q\".\"\"\"\n"),
            "x = {'tenant.id': t, \"it's\": 1}  # \"comment\"\n\"\"\"Doc \"q\".\"\"\"\n"
        );
        assert_eq!(to_single_quotes("f(\"a\\n\", '\"')"), "f(\"a\\n\", '\"')");
    }
}
