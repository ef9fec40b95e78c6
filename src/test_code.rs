//! Test code, which the tool reads but does not instrument (unless
//! `instrument-tests = true`): pytest's files (`test_*.py`, `*_test.py`,
//! `conftest.py`) and every file in a `tests` or `test` directory. A fake
//! entrypoint a test registers, or a session a test builds, is not production
//! telemetry, and a test's assertions do not expect spans around it. The style
//! rules still check test files (the smoke-test rule is about them).

use std::path::{Component, Path};

/// Whether the file at `shown` (the path as shown: relative to the working
/// directory when under it) is test code. Directories count only in a relative
/// path, so a checkout that happens to live under some `test/` directory is
/// not all test code.
pub fn is_test_code(shown: &str) -> bool {
    let path = Path::new(shown);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = name.strip_suffix(".py").unwrap_or(name);
    if stem.starts_with("test_") || stem.ends_with("_test") || name == "conftest.py" {
        return true;
    }
    path.is_relative()
        && path.parent().is_some_and(|dir| {
            dir.components().any(|c| matches!(c, Component::Normal(d) if d == "tests" || d == "test"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_files_and_test_directories() {
        for test in
            ["test_agent.py", "agent_test.py", "conftest.py", "app/tests/fakes.py", "test/unit/x.py", "a/test_b.py"]
        {
            assert!(is_test_code(test), "{test}");
        }
        for code in
            ["agent.py", "contest.py", "testing.py", "latest.py", "app/tester/x.py", "/home/ci/test/repo/agent.py"]
        {
            assert!(!is_test_code(code), "{code}");
        }
        // A file name is test code wherever it is.
        assert!(is_test_code("/home/ci/repo/test_agent.py"));
    }
}
