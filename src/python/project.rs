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

/// The oldest livekit-agents version the nearest project allows: the
/// version its lock file (`uv.lock`, `poetry.lock`) resolved, else the
/// lowest its requirement allows (`>=1.2,<2` → 1.2; `<1.5` → 0.0), or
/// `None` when no project file names it or the requirement sets no bound.
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

/// The version the lock file, `pyproject.toml` or a `requirements*.txt` of `dir` says.
fn pinned_here(dir: &Path) -> Option<(u32, u32)> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    if let Some(locked) = ["uv.lock", "poetry.lock"].iter().find_map(|name| locked_version(&read(name)?)) {
        return Some(locked);
    }
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

const PACKAGE: &str = "livekit-agents";

/// The version a lock file resolved: `name = "livekit-agents"` then its `version = "1.5.4"`.
fn locked_version(lock: &str) -> Option<(u32, u32)> {
    let mut lines = lock.lines().map(str::trim).skip_while(|l| *l != format!("name = \"{PACKAGE}\""));
    lines.next()?;
    let version = lines.take_while(|l| !l.starts_with("[")).find_map(|l| l.strip_prefix("version = \""))?;
    parse_version(version)
}

/// The lowest version the first `livekit-agents` requirement allows (PEP 508
/// or Poetry): `livekit-agents[openai]~=1.2` → 1.2, `"livekit-agents>=1.0,<1.5; python_version>='3.9'"`
/// → 1.0, `livekit-agents<1.5` → 0.0, `livekit-agents = { version = "^1.2" }` → 1.2;
/// `None` where it sets no bound (`livekit-agents`).
fn version_in(text: &str) -> Option<(u32, u32)> {
    let mut from = 0;
    while let Some(found) = text[from..].find(PACKAGE) {
        let start = from + found;
        let at = start + PACKAGE.len();
        from = at;
        // A requirement's own name: not inside another name, not in a comment (`# needed by livekit-agents`).
        let line = &text[text[..start].rfind('\n').map_or(0, |n| n + 1)..start];
        let before = text[..start].chars().next_back();
        if line.contains('#') || before.is_some_and(|c| !(c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '['))) {
            continue;
        }
        let rest = &text[at..];
        // `livekit-agents-foo` is another package.
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            continue;
        }
        let rest = match rest.strip_prefix('[') {
            Some(extras) => &extras[extras.find(']')? + 1..],
            None => rest,
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        // Poetry: `livekit-agents = "^1.2"` or `= { version = "^1.2", ... }`.
        let spec = match rest.strip_prefix('=').map(|r| r.trim_start_matches([' ', '\t'])) {
            Some(poetry) if poetry.starts_with(['"', '\'', '{']) => {
                let value = poetry.find("version").map_or(poetry, |v| &poetry[v..]);
                let open = value.find(['"', '\''])?;
                let value = &value[open + 1..];
                &value[..value.find(['"', '\''])?]
            }
            _ => &rest[..rest.find(['"', '\'', ';', '#', '\n', '\r', '@']).unwrap_or(rest.len())],
        };
        return lowest_allowed(spec);
    }
    None
}

/// The lowest version a specifier set allows: the highest of its lower
/// bounds (`>=`, `>`, `==`, `~=`, `^`, `~`), 0.0 where it has only upper
/// bounds or exclusions, `None` where it has no clause.
fn lowest_allowed(spec: &str) -> Option<(u32, u32)> {
    let mut clauses = spec.split(',').map(str::trim).filter(|c| !c.is_empty()).peekable();
    clauses.peek()?;
    let mut lowest = (0, 0);
    for clause in clauses {
        let version = clause.trim_start_matches(['=', '>', '<', '~', '!', '^', ' ']);
        let operator = clause[..clause.len() - version.len()].trim();
        if matches!(operator, ">=" | ">" | "==" | "===" | "~=" | "^" | "~" | "") {
            lowest = lowest.max(parse_version(version)?);
        }
    }
    Some(lowest)
}

fn parse_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().split(|c: char| !c.is_ascii_digit());
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
        // The oldest version allowed, whatever the order of the clauses; an upper bound alone allows any older one.
        assert_eq!(version_in("dependencies = [\"livekit-agents[openai]<1.5\"]"), Some((0, 0)));
        assert_eq!(version_in("livekit-agents<1.5,>=1.0\n"), Some((1, 0)));
        assert_eq!(version_in("livekit-agents>=1.0,<1.5 ; python_version >= '3.10'\n"), Some((1, 0)));
        assert_eq!(version_in("livekit-agents!=1.3.0\n"), Some((0, 0)));
        assert_eq!(version_in("livekit-agents >= 1.5, < 2\n"), Some((1, 5)));
        assert_eq!(version_in("livekit-agents-extra>=0.1\nlivekit-agents>=1.6\n"), Some((1, 6)));
        // Named in a comment, or inside another name: not its requirement.
        assert_eq!(
            version_in("livekit-api>=1.0.3,<2.0.0  # Required by livekit-agents\nlivekit-agents[openai]==1.2.1\n"),
            Some((1, 2))
        );
        assert_eq!(version_in("my-livekit-agents>=3.0\n"), None);
        // Poetry.
        assert_eq!(version_in("[tool.poetry.dependencies]\nlivekit-agents = \"^1.2\"\n"), Some((1, 2)));
        assert_eq!(version_in("livekit-agents = { version = \">=1.5,<2\", extras = [\"openai\"] }\n"), Some((1, 5)));
        assert_eq!(version_in("livekit-agents = \"*\"\n"), None, "any version: the newest");
    }

    #[test]
    fn reads_locked_versions() {
        let lock = "[[package]]\nname = \"livekit\"\nversion = \"1.0.12\"\n\n[[package]]\nname = \"livekit-agents\"\nversion = \"1.5.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(locked_version(lock), Some((1, 5)));
        assert_eq!(locked_version("[[package]]\nname = \"livekit-agents-x\"\nversion = \"0.1\"\n"), None);
    }
}
