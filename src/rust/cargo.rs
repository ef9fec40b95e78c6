//! The instrumented crate's `Cargo.toml`: which dependencies the inserted code
//! needs that the manifest lacks. They are reported (VOF132) and, with
//! `--add-deps`, added to `[dependencies]` in a reviewable diff.

use std::path::{Path, PathBuf};

/// The versions the inserted code is written against.
pub const OPENTELEMETRY: (&str, &str) = ("opentelemetry", "opentelemetry = \"0.33\"");
pub const TRACING: (&str, &str) = ("tracing", "tracing = \"0.1\"");

/// The nearest `Cargo.toml` above a source file that has a `[package]`.
pub fn manifest_of(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    file.ancestors().skip(1).map(|dir| dir.join("Cargo.toml")).find(|manifest| {
        std::fs::read_to_string(manifest).is_ok_and(|text| text.lines().any(|l| l.trim() == "[package]"))
    })
}

/// Whether the crate bridges `tracing` to OpenTelemetry (its spans are then `tracing` spans).
pub fn uses_tracing_bridge(manifest: &str) -> bool {
    dependency_names(manifest).iter().any(|name| name == "tracing-opentelemetry")
}

/// The dependency lines a manifest lacks, of those given.
pub fn missing<'a>(manifest: &str, needed: &[(&'a str, &'a str)]) -> Vec<&'a str> {
    let present = dependency_names(manifest);
    needed.iter().filter(|(name, _)| !present.iter().any(|p| p == name)).map(|(_, line)| *line).collect()
}

/// The `opentelemetry` version a manifest asks for, when it is older than the
/// API the inserted code is written against (instruments finished with
/// `.build()`, from 0.28 on): `Some("0.24")`.
pub fn outdated_opentelemetry(manifest: &str) -> Option<String> {
    let value = manifest.parse::<toml::Table>().ok()?;
    let spec = value.get("dependencies")?.as_table()?.get("opentelemetry")?;
    let requirement = match spec {
        toml::Value::String(version) => version.clone(),
        toml::Value::Table(table) => table.get("version")?.as_str()?.to_string(),
        _ => return None,
    };
    let digits = requirement.trim_start_matches(['=', '^', '~', '>', '<', ' ']);
    let mut parts = digits.split('.');
    let major: u32 = parts.next()?.trim().parse().ok()?;
    let minor: u32 = parts.next().and_then(|m| m.trim().parse().ok()).unwrap_or(0);
    (major == 0 && minor < 28).then_some(requirement)
}

/// `[dependencies]` names (a `[workspace.dependencies]` entry used with `workspace = true` counts).
fn dependency_names(manifest: &str) -> Vec<String> {
    let Ok(value) = manifest.parse::<toml::Table>() else { return Vec::new() };
    let mut names = Vec::new();
    if let Some(deps) = value.get("dependencies").and_then(|d| d.as_table()) {
        for (name, spec) in deps {
            // `otel = { package = "opentelemetry", ... }`
            let package = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
            names.push(package.replace('_', "-"));
            names.push(name.clone());
        }
    }
    names
}

/// The manifest with `lines` added at the end of its `[dependencies]` table
/// (which is made when there is none). Line endings are the file's.
pub fn add(manifest: &str, lines: &[&str]) -> String {
    let line_ending = if manifest.contains("\r\n") { "\r\n" } else { "\n" };
    let added: String = lines.iter().map(|l| format!("{l}{line_ending}")).collect();
    let mut offset = 0;
    let mut in_dependencies = false;
    let mut insert_at = None;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if in_dependencies {
                break;
            }
            in_dependencies = trimmed == "[dependencies]";
        }
        offset += line.len();
        if in_dependencies && !trimmed.is_empty() {
            insert_at = Some(offset);
        }
    }
    match insert_at {
        Some(at) => {
            let newline = if manifest[..at].ends_with('\n') { "" } else { line_ending };
            format!("{}{newline}{added}{}", &manifest[..at], &manifest[at..])
        }
        None => {
            let newline = if manifest.is_empty() || manifest.ends_with('\n') { "" } else { line_ending };
            format!("{manifest}{newline}{line_ending}[dependencies]{line_ending}{added}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_adds_missing_dependencies() {
        let manifest =
            "[package]\nname = \"x\"\n\n[dependencies]\nasync-openai = \"0.43\"\n\n[dev-dependencies]\ntokio = \"1\"\n";
        assert_eq!(missing(manifest, &[OPENTELEMETRY]), vec!["opentelemetry = \"0.33\""]);
        let added = add(manifest, &["opentelemetry = \"0.33\""]);
        assert_eq!(
            added,
            "[package]\nname = \"x\"\n\n[dependencies]\nasync-openai = \"0.43\"\nopentelemetry = \"0.33\"\n\n[dev-dependencies]\ntokio = \"1\"\n"
        );
        assert!(missing(&added, &[OPENTELEMETRY]).is_empty());
        assert_eq!(
            add("[package]\nname = \"x\"", &["a = \"1\""]),
            "[package]\nname = \"x\"\n\n[dependencies]\na = \"1\"\n"
        );
        assert!(uses_tracing_bridge("[dependencies]\ntracing-opentelemetry = \"0.34\"\n"));
        assert_eq!(outdated_opentelemetry("[dependencies]\nopentelemetry = \"0.24\"\n").as_deref(), Some("0.24"));
        assert_eq!(
            outdated_opentelemetry("[dependencies]\nopentelemetry = { version = \"=0.21.0\" }\n").as_deref(),
            Some("=0.21.0")
        );
        assert_eq!(outdated_opentelemetry("[dependencies]\nopentelemetry = \"0.33\"\n"), None);
        assert_eq!(outdated_opentelemetry("[dependencies]\nopentelemetry = { workspace = true }\n"), None);
    }
}
