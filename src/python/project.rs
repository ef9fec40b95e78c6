//! Facts of the user's project that are not in the file: the livekit-agents
//! version it pins (`pyproject.toml`, `requirements*.txt`), to choose between
//! `session_usage_updated` (1.5 and later) and the older `metrics_collected`;
//! and how its import sorter writes imports (`import_style`), for new imports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// Answers per directory, for the whole process: every file of a directory
/// asks the same question, and listing a large directory once per file is slow.
static VERSIONS: LazyLock<Answers<Version>> = LazyLock::new(Default::default);

/// (directory, depth still allowed) → what was found there or above.
type Answers<T> = Mutex<HashMap<(PathBuf, usize), Option<T>>>;

/// A `(major, minor)` version.
type Version = (u32, u32);

/// How many directories up a project file is looked for.
const DEPTH: usize = 12;

/// The livekit-agents version the nearest project file pins (the lower bound
/// of its requirement), or `None` when no project file names it.
pub fn livekit_agents_version(file: &Path) -> Option<(u32, u32)> {
    let dir = std::fs::canonicalize(file).ok()?.parent()?.to_path_buf();
    nearest(&VERSIONS, &dir, DEPTH, &pinned_here)
}

/// What `here` finds in `dir` or in one of its `depth - 1` ancestors, the
/// nearest first; each directory's answer is remembered in `answers`.
fn nearest<T: Clone>(answers: &Answers<T>, dir: &Path, depth: usize, here: &dyn Fn(&Path) -> Option<T>) -> Option<T> {
    if depth == 0 {
        return None;
    }
    let key = (dir.to_path_buf(), depth);
    if let Some(found) = answers.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found.clone();
    }
    let found = here(dir).or_else(|| dir.parent().and_then(|parent| nearest(answers, parent, depth - 1, here)));
    answers.lock().unwrap_or_else(|e| e.into_inner()).insert(key, found.clone());
    found
}

/// The version the `pyproject.toml` or a `requirements*.txt` of `dir` pins.
fn pinned_here(dir: &Path) -> Option<(u32, u32)> {
    let mut candidates = vec![dir.join("pyproject.toml")];
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut requirements: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with("requirements") && name.ends_with(".txt")
            })
            .collect();
        requirements.sort();
        candidates.extend(requirements);
    }
    candidates.into_iter().find_map(|candidate| version_in(&std::fs::read_to_string(candidate).ok()?))
}

/// The first `livekit-agents` requirement's version: `livekit-agents[openai]~=1.2`,
/// `"livekit-agents>=1.5.0"`, `livekit-agents==1.4.3`.
fn version_in(text: &str) -> Option<(u32, u32)> {
    let at = text.find("livekit-agents")?;
    let rest = &text[at + "livekit-agents".len()..];
    let rest = match rest.strip_prefix('[') {
        Some(extras) => &extras[extras.find(']')? + 1..],
        None => rest,
    };
    let rest = rest.trim_start();
    let digits = rest.trim_start_matches(['=', '>', '<', '~', '!', '^', ' ']);
    if digits.len() == rest.len() && !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut parts = digits.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// How the project's import sorter (ruff's isort rules, or isort) writes
/// imports, as far as new imports need to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStyle {
    /// `from m import a as b, c` as one statement (ruff's `combine-as-imports`,
    /// isort's `combine_as_imports`); by default an aliased name gets its own.
    pub combine_as: bool,
    /// Modules configured as first-party (`known-first-party`): their imports
    /// form a section after the third-party one.
    pub first_party: Vec<String>,
}

static STYLES: LazyLock<Answers<ImportStyle>> = LazyLock::new(Default::default);

/// The import style of the nearest configuration that configures ruff or
/// isort (`.ruff.toml`, `ruff.toml`, `pyproject.toml`'s `[tool.ruff]` or
/// `[tool.isort]`, `.isort.cfg`), as ruff finds its own: the defaults when none does.
pub fn import_style(file: &Path) -> ImportStyle {
    let Some(dir) = std::fs::canonicalize(file).ok().and_then(|f| f.parent().map(Path::to_path_buf)) else {
        return ImportStyle::default();
    };
    nearest(&STYLES, &dir, DEPTH, &style_here).unwrap_or_default()
}

/// The style a configuration file of `dir` sets, when one configures ruff or isort.
fn style_here(dir: &Path) -> Option<ImportStyle> {
    let table = |path: PathBuf| std::fs::read_to_string(path).ok()?.parse::<toml::Table>().ok();
    let get = |value: Option<&toml::Value>, key: &str| value.and_then(|v| v.get(key)).cloned();
    for name in [".ruff.toml", "ruff.toml"] {
        if let Some(config) = table(dir.join(name)) {
            let lint = config.get("lint");
            let isort = get(lint, "isort").or_else(|| config.get("isort").cloned());
            return Some(ruff_style(isort.as_ref()));
        }
    }
    if let Some(pyproject) = table(dir.join("pyproject.toml")) {
        let tool = pyproject.get("tool");
        if let Some(ruff) = get(tool, "ruff") {
            let isort = get(ruff.get("lint"), "isort").or_else(|| ruff.get("isort").cloned());
            return Some(ruff_style(isort.as_ref()));
        }
        if let Some(isort) = get(tool, "isort") {
            return Some(ImportStyle {
                combine_as: isort.get("combine_as_imports").and_then(toml::Value::as_bool).unwrap_or(false),
                first_party: strings(isort.get("known_first_party")),
            });
        }
    }
    let isort_cfg = std::fs::read_to_string(dir.join(".isort.cfg")).ok()?;
    let combine_as = isort_cfg.lines().any(|line| {
        let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        line.eq_ignore_ascii_case("combine_as_imports=true")
    });
    Some(ImportStyle { combine_as, first_party: Vec::new() })
}

fn ruff_style(isort: Option<&toml::Value>) -> ImportStyle {
    let isort = isort.and_then(toml::Value::as_table);
    ImportStyle {
        combine_as: isort.and_then(|t| t.get("combine-as-imports")).and_then(toml::Value::as_bool).unwrap_or(false),
        first_party: strings(isort.and_then(|t| t.get("known-first-party"))),
    }
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_style_from_the_nearest_sorter_configuration() {
        let root = tempfile::tempdir().unwrap();
        let project = root.path().join("repo");
        let package = project.join("agents/bot");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(package.join("agent.py"), "").unwrap();
        // No configuration: isort's defaults.
        assert_eq!(import_style(&package.join("agent.py")), ImportStyle::default());

        let project = root.path().join("repo2");
        let package = project.join("agents/bot");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(package.join("agent.py"), "").unwrap();
        std::fs::write(
            project.join("pyproject.toml"),
            "[tool.ruff.lint.isort]\ncombine-as-imports = true\nknown-first-party = [\"livekit\"]\n",
        )
        .unwrap();
        // A pyproject.toml that configures neither is passed over.
        std::fs::write(project.join("agents/pyproject.toml"), "[project]\nname = \"bot\"\n").unwrap();
        let style = import_style(&package.join("agent.py"));
        assert_eq!(style, ImportStyle { combine_as: true, first_party: vec!["livekit".into()] });

        let other = root.path().join("repo3");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("agent.py"), "").unwrap();
        std::fs::write(other.join("ruff.toml"), "[lint]\nselect = [\"I\"]\n").unwrap();
        std::fs::write(other.join("pyproject.toml"), "[tool.isort]\ncombine_as_imports = true\n").unwrap();
        assert_eq!(import_style(&other.join("agent.py")), ImportStyle::default(), "ruff.toml comes first");
    }

    #[test]
    fn reads_requirement_lower_bounds() {
        assert_eq!(version_in("livekit-agents[openai,silero]~=1.2\n"), Some((1, 2)));
        assert_eq!(version_in("dependencies = [\"livekit-agents>=1.5.0\", \"x\"]"), Some((1, 5)));
        assert_eq!(version_in("livekit-agents==0.12.3"), Some((0, 12)));
        assert_eq!(version_in("livekit-agents\n"), None);
        assert_eq!(version_in("livekit-plugins-openai==1.0"), None);
    }
}
