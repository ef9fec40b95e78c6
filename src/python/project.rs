//! Facts of the user's project that are not in the file: the livekit-agents
//! version it pins (`pyproject.toml`, `requirements*.txt`), to choose between
//! `session_usage_updated` (1.5 and later) and the older `metrics_collected`.

use std::path::Path;

/// The livekit-agents version the nearest project file pins (the lower bound
/// of its requirement), or `None` when no project file names it.
pub fn livekit_agents_version(file: &Path) -> Option<(u32, u32)> {
    let dir = std::fs::canonicalize(file).ok()?.parent()?.to_path_buf();
    for ancestor in dir.ancestors().take(12) {
        let mut candidates = vec![ancestor.join("pyproject.toml")];
        if let Ok(entries) = std::fs::read_dir(ancestor) {
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
        for candidate in candidates {
            let Ok(text) = std::fs::read_to_string(&candidate) else { continue };
            if let Some(version) = version_in(&text) {
                return Some(version);
            }
        }
    }
    None
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
