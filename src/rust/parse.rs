//! Parsing Rust with `ra_ap_syntax`, rust-analyzer's lossless parser: the tree
//! keeps every byte (comments, whitespace), so edits are byte ranges of it.

use ra_ap_syntax::{Edition, Parse, SourceFile};

use crate::fix::SyntaxError;

/// The file's tree, or its first syntax error (1-based line and column).
pub fn parse(text: &str) -> Result<Parse<SourceFile>, SyntaxError> {
    let parse = SourceFile::parse(text, Edition::Edition2021);
    if let Some(error) = parse.errors().first() {
        let offset = usize::from(error.range().start()).min(text.len());
        let (line, column) = line_col(text, offset);
        return Err(SyntaxError { line, column, message: format!("Rust syntax error: {error}") });
    }
    Ok(parse)
}

/// Whether a text is Rust that parses.
pub fn check_syntax(text: &str) -> Result<(), SyntaxError> {
    parse(text).map(|_| ())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_error_with_its_position() {
        assert!(check_syntax("fn main() { let x = 1; }\n").is_ok());
        let err = check_syntax("fn main() {\n    let x = ;\n}\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 13));
    }
}
