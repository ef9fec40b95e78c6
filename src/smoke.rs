//! `voice-otel-fix smoke [PATH]`: a pytest file for an agent package that
//! imports the agent, runs its entrypoint once with a fake `JobContext` under
//! in-memory exporters, and asserts the real spans and metric points (the
//! seed's "Smoke Checks"). It passes on instrumented code and fails on code
//! that is not.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::python::template::Template;
use crate::report::FindingKind;
use crate::{plan, Mode, Options};

const SMOKE_TEST: Template =
    Template { name: "smoke/test_voice_otel_smoke", text: include_str!("../templates/smoke/test_voice_otel_smoke.py") };

/// Where the test goes by default, and its text, for the package at `root`.
pub fn generate(root: &Path) -> Result<(PathBuf, String), String> {
    let plan = plan(&Options::new(vec![root.to_path_buf()], Mode::DryRun));
    let entrypoint = plan.files.iter().find_map(|file| {
        let result = file.instrument(crate::python::Selection::All);
        result
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Entrypoint)
            .filter_map(|f| f.symbol.clone())
            // A module-level function: something the test can import by name.
            .find(|symbol| !symbol.contains('.') && file.text().contains(&format!("def {symbol}(")))
            .map(|symbol| (file.path().to_path_buf(), symbol))
    });
    let Some((agent, symbol)) = entrypoint else {
        return Err(format!("no LiveKit entrypoint found under {}", root.display()));
    };
    let base = if root.is_dir() { root.to_path_buf() } else { root.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let output = base.join("tests").join("test_voice_otel_smoke.py");
    let relative = relative_to(&agent, output.parent().unwrap_or(&base));
    let holes = HashMap::from([
        ("agent_path", format!("{:?}", relative.to_string_lossy().replace('\\', "/"))),
        ("entrypoint", format!("{symbol:?}")),
    ]);
    Ok((output, SMOKE_TEST.fill(&holes)))
}

/// `path` relative to the directory `from` (both made absolute first).
fn relative_to(path: &Path, from: &Path) -> PathBuf {
    let parts = |p: &Path| -> Vec<std::ffi::OsString> {
        let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut parts = Vec::new();
        for component in absolute.components() {
            match component {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::Normal(name) => parts.push(name.to_os_string()),
                _ => {}
            }
        }
        parts
    };
    let (path, from) = (parts(path), parts(from));
    let common = path.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &path[common..] {
        out.push(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::relative_to;
    use std::path::Path;

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to(Path::new("/a/b/agent.py"), Path::new("/a/b/tests")), Path::new("../agent.py"));
        assert_eq!(relative_to(Path::new("/a/b/pkg/agent.py"), Path::new("/a/b/tests")), Path::new("../pkg/agent.py"));
    }
}
