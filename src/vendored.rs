//! Third-party sources inside the tree: a provider SDK's, LiveKit's or
//! OpenTelemetry's own packages, recognised by their layout. A monorepo that
//! vendors them (or unpacks wheels) holds thousands of files that import
//! `openai` or use `opentelemetry` — the SDK's own modules — and none of them is
//! the team's code to instrument or hold to the house style: `openai`'s
//! internals are not LLM call sites, and its spans are named by its own
//! conventions. They are skipped after the byte prefilter keeps them, so the
//! test costs a `stat` or two only for the few files that could matter, and
//! they are counted in the summary ("skipped (… third-party package sources)").
//! `skip-third-party = false` in the configuration turns this off.
//!
//! A file is vendored when a directory on its path is
//! - a top-level package named after a provider SDK (`openai/__init__.py`
//!   with no `__init__.py` beside `openai/`): a team's own package of that name
//!   would shadow the SDK it calls, so it cannot be one;
//! - a package of LiveKit's or OpenTelemetry's namespace (`livekit/agents/`,
//!   `livekit/plugins/openai/`, `opentelemetry/sdk/`, `google/genai/`: the
//!   namespace directory has no `__init__.py` and no project file such as
//!   `pyproject.toml`, the package below it has one).

use std::path::{Component, Path};

/// Top-level packages of the provider SDKs (and boto3/botocore, which carry Bedrock).
const SDK_PACKAGES: &[&str] =
    &["anthropic", "openai", "mistralai", "cohere", "litellm", "groq", "together", "boto3", "botocore"];

/// Namespace packages, with the packages below them that are the vendor's own
/// (`None`: every package below).
const NAMESPACES: &[(&str, Option<&[&str]>)] = &[
    ("livekit", Some(&["agents", "plugins", "rtc", "api", "protocol"])),
    ("opentelemetry", None),
    ("google", Some(&["genai"])),
];

/// The vendored package a file belongs to (`"openai"`, `"livekit.agents"`), if any.
pub fn package_of(path: &Path) -> Option<String> {
    let names: Vec<&str> =
        path.components().filter_map(|c| if let Component::Normal(n) = c { n.to_str() } else { None }).collect();
    // Directories only: the file's own name is last.
    let directories = names.len().checked_sub(1)?;
    let prefix = |i: usize| -> std::path::PathBuf {
        let mut components = path.components();
        let mut taken = 0;
        let mut out = std::path::PathBuf::new();
        for component in components.by_ref() {
            out.push(component);
            if matches!(component, Component::Normal(_)) {
                taken += 1;
                if taken == i + 1 {
                    break;
                }
            }
        }
        out
    };
    let is_package = |i: usize| prefix(i).join("__init__.py").is_file();
    // A wheel's namespace directory holds packages only: one with a project
    // file is a project of the team's that happens to be called `livekit`.
    let is_project = |i: usize| ["pyproject.toml", "setup.py", "setup.cfg"].iter().any(|f| prefix(i).join(f).is_file());
    for i in 0..directories {
        let name = names[i];
        if SDK_PACKAGES.contains(&name) && is_package(i) && (i == 0 || !is_package(i - 1)) {
            return Some(name.to_string());
        }
        let Some((_, below)) = NAMESPACES.iter().find(|(namespace, _)| *namespace == name) else { continue };
        let Some(&child) = names.get(i + 1).filter(|_| i + 1 < directories) else { continue };
        // `livekit/plugins/openai/`: a namespace may hold another before the package.
        let package_below = is_package(i + 1) || (i + 2 < directories && is_package(i + 2));
        if below.is_none_or(|own| own.contains(&child)) && !is_package(i) && package_below && !is_project(i) {
            return Some(format!("{name}.{child}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    #[test]
    fn provider_sdks_and_livekit_packages_are_vendored() {
        let dir = tree(&[
            "wheels/openai/__init__.py",
            "wheels/openai/resources/chat.py",
            "wheels/livekit/agents/__init__.py",
            "wheels/livekit/agents/voice/agent_activity.py",
            "wheels/livekit/plugins/openai/__init__.py",
            "wheels/livekit/plugins/openai/llm.py",
            "wheels/opentelemetry/sdk/__init__.py",
            "wheels/opentelemetry/sdk/trace/__init__.py",
            "wheels/google/genai/__init__.py",
            "wheels/google/genai/models.py",
        ]);
        let at = |p: &str| package_of(&dir.path().join(p));
        assert_eq!(at("wheels/openai/resources/chat.py").as_deref(), Some("openai"));
        assert_eq!(at("wheels/openai/__init__.py").as_deref(), Some("openai"));
        assert_eq!(at("wheels/livekit/agents/voice/agent_activity.py").as_deref(), Some("livekit.agents"));
        assert_eq!(at("wheels/livekit/plugins/openai/llm.py").as_deref(), Some("livekit.plugins"));
        assert_eq!(at("wheels/opentelemetry/sdk/trace/__init__.py").as_deref(), Some("opentelemetry.sdk"));
        assert_eq!(at("wheels/google/genai/models.py").as_deref(), Some("google.genai"));
    }

    #[test]
    fn a_teams_own_code_is_not() {
        let dir = tree(&[
            // a subpackage named after a provider: `myapp.providers.openai`
            "myapp/__init__.py",
            "myapp/providers/__init__.py",
            "myapp/providers/openai/__init__.py",
            "myapp/providers/openai/client.py",
            // a directory of that name that is no package (fixtures, scripts)
            "fixtures/openai/before/agent.py",
            // a package called `livekit` of the team's own (not a namespace)
            "bots/livekit/__init__.py",
            // a project directory called `livekit` holding the team's `agents` package
            "repo/livekit/pyproject.toml",
            "repo/livekit/agents/__init__.py",
            "repo/livekit/agents/restaurant_agent.py",
            "bots/livekit/agents/__init__.py",
            "bots/livekit/agents/voice.py",
            // another package below the livekit namespace
            "src/livekit/mybot/__init__.py",
            "src/livekit/mybot/agent.py",
            "agent.py",
        ]);
        let at = |p: &str| package_of(&dir.path().join(p));
        assert_eq!(at("myapp/providers/openai/client.py"), None);
        assert_eq!(at("fixtures/openai/before/agent.py"), None);
        assert_eq!(at("bots/livekit/agents/voice.py"), None);
        assert_eq!(at("src/livekit/mybot/agent.py"), None);
        assert_eq!(at("repo/livekit/agents/restaurant_agent.py"), None);
        assert_eq!(at("agent.py"), None);
        assert_eq!(package_of(Path::new("agent.py")), None);
    }
}
