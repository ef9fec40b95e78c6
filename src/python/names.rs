//! Choosing names that never collide with the file's own.

use std::collections::HashSet;

/// `preferred` when free, else `otel_<preferred>`, else `<preferred>_2`, `_3`, …
/// The chosen name is added to `taken`.
pub fn fresh(preferred: &str, taken: &mut HashSet<String>) -> String {
    let candidates = std::iter::once(preferred.to_string())
        .chain(std::iter::once(format!("otel_{}", preferred.trim_start_matches('_'))))
        .chain((2..).map(|n| format!("{preferred}_{n}")));
    for candidate in candidates {
        if !taken.contains(&candidate) && !is_keyword(&candidate) {
            taken.insert(candidate.clone());
            return candidate;
        }
    }
    unreachable!("the numbered candidates never run out")
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "False"
            | "None"
            | "True"
            | "and"
            | "as"
            | "assert"
            | "async"
            | "await"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "not"
            | "or"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avoids_taken_names() {
        let mut taken: HashSet<String> = ["tracer".to_string(), "otel_tracer".to_string()].into();
        assert_eq!(fresh("tracer", &mut taken), "tracer_2");
        assert_eq!(fresh("meter", &mut taken), "meter");
        assert_eq!(fresh("meter", &mut taken), "otel_meter");
    }
}
