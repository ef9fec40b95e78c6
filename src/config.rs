//! Configuration, found per file as ruff does: the nearest `voice-otel-fix.toml`
//! (top-level keys) or `pyproject.toml` with a `[tool.voice-otel-fix]` table.
//!
//! ```toml
//! [tool.voice-otel-fix]
//! exclude = ["legacy/**"]
//! extend = "../../voice-otel-fix.toml"   # a shared root config, overridden here
//!
//! [tool.voice-otel-fix.attributes]
//! tenant_id = "ctx.proc.userdata['tenant']"   # `ctx` means the entrypoint's JobContext
//! user_id = "ctx.room.local_participant.identity"
//! room_name = "ctx.room.name"
//! ```

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

/// Attribute value expressions for the session span and metrics.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    pub room_name: Option<String>,
}

/// Span name and use case for the LLM calls of one function (`"agent.py::func"`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LlmOverride {
    pub span: Option<String>,
    pub use_case: Option<String>,
}

/// Framework-driven LLM turns (`AgentSession` usage reports).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// `llm.use_case` of the session's turns (default `voice.response`).
    pub use_case: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    /// Rule codes (or prefixes) to check; all when absent.
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    per_file_ignores: HashMap<String, Vec<String>>,
    #[serde(default)]
    framework: Framework,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    llm: HashMap<String, LlmOverride>,
    #[serde(default)]
    exclude: Vec<String>,
    skip_third_party: Option<bool>,
    instrument_tests: Option<bool>,
    extend: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
}

#[derive(Debug, Default, Deserialize)]
struct Tool {
    #[serde(rename = "voice-otel-fix")]
    voice_otel_fix: Option<toml::Value>,
}

/// What applies to one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The config file these came from, if any.
    pub source: Option<PathBuf>,
    pub attributes: Attributes,
    /// Globs relative to the config file's directory.
    pub exclude: Vec<String>,
    /// LLM call site overrides keyed `path/relative/to/config.py::function` (`Class.method` for methods).
    pub llm: HashMap<String, LlmOverride>,
    pub framework: Framework,
    /// Rule codes or prefixes to check (`None`: all).
    pub select: Option<Vec<String>>,
    /// Rule codes or prefixes not to check.
    pub ignore: Vec<String>,
    /// Globs (relative to the config's directory) and the codes they ignore.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    /// Whether provider SDKs', LiveKit's and OpenTelemetry's own packages in the
    /// tree are skipped (`src/vendored.rs`); `skip-third-party = false` looks at them too.
    pub skip_third_party: bool,
    /// Whether test code (`src/test_code.rs`) is instrumented too; its rules are checked either way.
    pub instrument_tests: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            source: None,
            attributes: Attributes::default(),
            exclude: Vec::new(),
            llm: HashMap::new(),
            framework: Framework::default(),
            select: None,
            ignore: Vec::new(),
            per_file_ignores: Vec::new(),
            skip_third_party: true,
            instrument_tests: false,
        }
    }
}

impl Settings {
    /// Whether rule `code` is checked (and its fix applied) in `file`.
    pub fn rule_enabled(&self, code: &str, file: &Path) -> bool {
        let matches = |patterns: &[String]| patterns.iter().any(|p| code.starts_with(p.as_str()) || p == "ALL");
        if let Some(select) = &self.select {
            if !matches(select) {
                return false;
            }
        }
        if matches(&self.ignore) {
            return false;
        }
        if self.per_file_ignores.is_empty() {
            return true;
        }
        let base = self.source.as_ref().and_then(|s| s.parent()).map(|p| std::fs::canonicalize(p).unwrap_or_default());
        let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let relative = base.as_ref().and_then(|b| file.strip_prefix(b).ok()).unwrap_or(&file);
        !self.per_file_ignores.iter().any(|(glob, codes)| {
            globset::Glob::new(glob).map(|g| g.compile_matcher().is_match(relative)).unwrap_or(false) && matches(codes)
        })
    }

    /// The LLM overrides for one file, keyed by function (`func`, `Class.method`).
    pub fn llm_overrides(&self, file: &Path) -> HashMap<String, LlmOverride> {
        let Some(source) = &self.source else { return HashMap::new() };
        let base = std::fs::canonicalize(source.parent().unwrap_or(Path::new("."))).unwrap_or_default();
        let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let relative = file.strip_prefix(&base).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        self.llm
            .iter()
            .filter_map(|(key, value)| {
                let (path, function) = key.rsplit_once("::")?;
                (path.trim_start_matches("./") == relative).then(|| (function.to_string(), value.clone()))
            })
            .collect()
    }

    /// Whether `path` is excluded by this config's `exclude` globs.
    pub fn excludes(&self, path: &Path) -> bool {
        let Some(source) = &self.source else { return false };
        let base = source.parent().unwrap_or(Path::new("."));
        let relative = path.strip_prefix(base).unwrap_or(path);
        self.exclude
            .iter()
            .any(|glob| globset::Glob::new(glob).map(|g| g.compile_matcher().is_match(relative)).unwrap_or(false))
    }
}

/// What `--show-settings PATH` prints: the config file and every setting that applies.
pub fn describe(path: &Path, settings: &Settings) -> String {
    let mut out = format!("# settings for {}\n", path.display());
    match &settings.source {
        Some(source) => out.push_str(&format!("# from {}\n", source.display())),
        None => out.push_str("# no configuration found: defaults\n"),
    }
    let show = |v: &Option<String>, default: &str| match v {
        Some(v) => format!("{v:?}"),
        None => format!("(default: {default})"),
    };
    out.push_str("[attributes]\n");
    out.push_str(&format!(
        "tenant_id = {}\n",
        show(&settings.attributes.tenant_id, "job metadata \"tenant_id\", else \"unknown\"")
    ));
    out.push_str(&format!(
        "user_id = {}\n",
        show(&settings.attributes.user_id, "job metadata \"user_id\", else \"unknown\"")
    ));
    out.push_str(&format!(
        "room_name = {}\n",
        show(&settings.attributes.room_name, "ctx.job.room.name, else \"unknown\"")
    ));
    out.push_str(&format!("exclude = {:?}\n", settings.exclude));
    out.push_str(&format!("skip-third-party = {}\n", settings.skip_third_party));
    out.push_str(&format!("instrument-tests = {}\n", settings.instrument_tests));
    out.push_str(&format!("select = {:?}\n", settings.select.as_deref().unwrap_or(&["ALL".to_string()])));
    out.push_str(&format!("ignore = {:?}\n", settings.ignore));
    out.push_str(&format!("per-file-ignores = {:?}\n", settings.per_file_ignores));
    out.push_str("[framework]\n");
    out.push_str(&format!("use_case = {}\n", show(&settings.framework.use_case, "voice.response")));
    out.push_str("[llm]\n");
    let mut keys: Vec<_> = settings.llm.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in keys {
        out.push_str(&format!("{key:?} = {{ span = {:?}, use_case = {:?} }}\n", value.span, value.use_case));
    }
    out
}

/// A config file that could not be used: path, position, reason.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: error: {}", self.path.display(), self.line, self.column, self.message)
    }
}

/// Finds and caches the settings of each directory.
#[derive(Default)]
pub struct Resolver {
    // Keyed by the path's bytes: hashing a `Path` walks its components, per file.
    by_dir: Mutex<HashMap<OsString, Result<Arc<Settings>, ConfigError>>>,
    /// Directories as walked → with their symlinks resolved (one `realpath` per directory, not per file).
    canonical_dirs: Mutex<HashMap<OsString, PathBuf>>,
}

impl Resolver {
    /// The settings for a file (from its directory upwards).
    pub fn for_file(&self, file: &Path) -> Result<Arc<Settings>, ConfigError> {
        self.for_dir(&self.canonical_dir(file))
    }

    /// The file's path with every symlink resolved, like `std::fs::canonicalize`
    /// (or the path itself when it cannot be resolved).
    pub fn canonical(&self, file: &Path) -> PathBuf {
        let is_link = std::fs::symlink_metadata(file).map(|m| m.file_type().is_symlink()).unwrap_or(true);
        if is_link {
            return std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        }
        self.canonical_walked(file)
    }

    /// `canonical` for a file the walk found below a root: never a symlink
    /// itself (the walk follows none), so only its directory needs resolving,
    /// one `realpath` per directory.
    pub fn canonical_walked(&self, file: &Path) -> PathBuf {
        match file.file_name() {
            Some(name) => self.canonical_dir(file).join(name),
            None => std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()),
        }
    }

    fn canonical_dir(&self, file: &Path) -> PathBuf {
        let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Some(found) = self.canonical_dirs.lock().unwrap().get(dir.as_os_str()) {
            return found.clone();
        }
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        self.canonical_dirs.lock().unwrap().insert(dir.as_os_str().to_owned(), canonical.clone());
        canonical
    }

    /// The settings for the files of a directory (its path already canonical).
    pub fn for_dir(&self, dir: &Path) -> Result<Arc<Settings>, ConfigError> {
        if let Some(found) = self.by_dir.lock().unwrap().get(dir.as_os_str()) {
            return found.clone();
        }
        let found = match find_config(dir) {
            Some(path) => load(&path, 0).map(Arc::new),
            None => match dir.parent() {
                Some(parent) => self.for_dir(parent),
                None => Ok(Arc::new(Settings::default())),
            },
        };
        self.by_dir.lock().unwrap().insert(dir.as_os_str().to_owned(), found.clone());
        found
    }
}

fn find_config(dir: &Path) -> Option<PathBuf> {
    let own = dir.join("voice-otel-fix.toml");
    if own.is_file() {
        return Some(own);
    }
    let pyproject = dir.join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).ok()?;
    if !text.contains("voice-otel-fix") {
        return None;
    }
    // A pyproject that does not parse is taken, so that `load` reports where it breaks.
    let ours = toml::from_str::<Pyproject>(&text).map(|py| py.tool.and_then(|t| t.voice_otel_fix).is_some());
    ours.unwrap_or(true).then_some(pyproject)
}

/// Loads one config file, following `extend`.
pub fn load(path: &Path, depth: usize) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: err.to_string(),
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let raw: Result<RawSettings, toml::de::Error> = if is_pyproject {
        // Parse the whole document so that spans point into the real file.
        #[derive(Deserialize)]
        struct Doc {
            tool: DocTool,
        }
        #[derive(Deserialize)]
        struct DocTool {
            #[serde(rename = "voice-otel-fix", default)]
            voice_otel_fix: RawSettings,
        }
        toml::from_str::<Doc>(&text).map(|d| d.tool.voice_otel_fix)
    } else {
        toml::from_str::<RawSettings>(&text)
    };
    let raw = raw.map_err(|err| {
        let (line, column) = err.span().map_or((1, 1), |span| crate::source::line_col(&text, span.start));
        ConfigError { path: path.to_path_buf(), line, column, message: err.message().to_string() }
    })?;
    let mut settings = match &raw.extend {
        Some(parent) if depth < 8 => {
            let base = path.parent().unwrap_or(Path::new("."));
            load(&base.join(parent), depth + 1)?
        }
        Some(_) => {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "`extend` chain too deep".into(),
            })
        }
        None => Settings::default(),
    };
    let attrs = raw.attributes;
    settings.attributes = Attributes {
        tenant_id: attrs.tenant_id.or(settings.attributes.tenant_id),
        user_id: attrs.user_id.or(settings.attributes.user_id),
        room_name: attrs.room_name.or(settings.attributes.room_name),
    };
    settings.llm.extend(raw.llm);
    if raw.select.is_some() {
        settings.select = raw.select;
    }
    settings.ignore.extend(raw.ignore);
    settings.per_file_ignores.extend(raw.per_file_ignores);
    if raw.framework.use_case.is_some() {
        settings.framework = raw.framework;
    }
    // Excludes of an extended config stay relative to this file's directory.
    settings.exclude.extend(raw.exclude);
    settings.skip_third_party = raw.skip_third_party.unwrap_or(settings.skip_third_party);
    settings.instrument_tests = raw.instrument_tests.unwrap_or(settings.instrument_tests);
    settings.source = Some(path.to_path_buf());
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_config_wins_and_unknown_keys_fail_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("voice-otel-fix.toml"), "[attributes]\ntenant_id = \"'root'\"\n").unwrap();
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        std::fs::write(
            root.join("pkg/pyproject.toml"),
            "[project]\nname = \"x\"\n\n[tool.voice-otel-fix]\nextend = \"../voice-otel-fix.toml\"\n\n[tool.voice-otel-fix.attributes]\nuser_id = \"'u'\"\n",
        )
        .unwrap();
        let resolver = Resolver::default();
        let s = resolver.for_file(&root.join("pkg/sub/agent.py")).unwrap();
        assert_eq!(s.attributes.tenant_id.as_deref(), Some("'root'"));
        assert_eq!(s.attributes.user_id.as_deref(), Some("'u'"));

        std::fs::write(root.join("pkg/sub/voice-otel-fix.toml"), "\n[attributes]\ntenant = \"x\"\n").unwrap();
        let err = Resolver::default().for_file(&root.join("pkg/sub/agent.py")).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("unknown field"), "{err}");
    }
}
