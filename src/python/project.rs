//! Facts of the user's project that are not in the file: the livekit-agents
//! version it pins (`pyproject.toml`, `requirements*.txt`), to choose between
//! `session_usage_updated` (1.5 and later) and the older `metrics_collected`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// Answers per directory, for the whole process: every file of a directory
/// asks the same question, and listing a large directory once per file is slow.
static BY_DIR: LazyLock<Mutex<Answers>> = LazyLock::new(Default::default);

/// (directory, depth still allowed) → the version pinned there or above.
type Answers = HashMap<(PathBuf, usize), Option<Version>>;

/// A `(major, minor)` version.
type Version = (u32, u32);

/// How many directories up a project file is looked for.
const DEPTH: usize = 12;

/// The livekit-agents version the nearest project file pins (the lower bound
/// of its requirement), or `None` when no project file names it.
pub fn livekit_agents_version(file: &Path) -> Option<(u32, u32)> {
    let dir = std::fs::canonicalize(file).ok()?.parent()?.to_path_buf();
    in_dir(&dir, DEPTH)
}

/// The version pinned in `dir` or in one of its `depth - 1` ancestors.
fn in_dir(dir: &Path, depth: usize) -> Option<(u32, u32)> {
    if depth == 0 {
        return None;
    }
    let key = (dir.to_path_buf(), depth);
    if let Some(found) = BY_DIR.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return *found;
    }
    let found = pinned_here(dir).or_else(|| dir.parent().and_then(|parent| in_dir(parent, depth - 1)));
    BY_DIR.lock().unwrap_or_else(|e| e.into_inner()).insert(key, found);
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

#[cfg(test)]
mod tests {
    use super::version_in;

    #[test]
    fn reads_requirement_lower_bounds() {
        assert_eq!(version_in("livekit-agents[openai,silero]~=1.2\n"), Some((1, 2)));
        assert_eq!(version_in("dependencies = [\"livekit-agents>=1.5.0\", \"x\"]"), Some((1, 5)));
        assert_eq!(version_in("livekit-agents==0.12.3"), Some((0, 12)));
        assert_eq!(version_in("livekit-agents\n"), None);
        assert_eq!(version_in("livekit-plugins-openai==1.0"), None);
    }
}
