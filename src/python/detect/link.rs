//! Linking registrations to the functions they name, across modules: a
//! registration in `main.py` of `from .agent import entrypoint` makes the
//! `entrypoint` of `agent.py` an entrypoint.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::registrations::{Registration, Target};

/// The entrypoint facts one module contributes.
#[derive(Debug, Clone, Default)]
pub struct ModuleFacts {
    pub registrations: Vec<Registration>,
    /// Module-level names bound to `AgentServer(...)`.
    pub agent_servers: HashSet<String>,
}

/// A function to instrument, as known before its file is parsed for transforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrypointRef {
    pub function: FunctionRef,
    /// How it was registered (`worker_options`, `rtc_session_call:imported`, …).
    pub form: String,
    pub method: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionRef {
    /// The start byte of the `function_definition` in that file.
    At(usize),
    /// A module-level function of that name.
    Named(String),
}

/// The entrypoints of each file (canonical paths), from every module's registrations.
pub fn link(modules: &HashMap<PathBuf, ModuleFacts>) -> HashMap<PathBuf, Vec<EntrypointRef>> {
    let mut out: HashMap<PathBuf, Vec<EntrypointRef>> = HashMap::new();
    for (path, facts) in modules {
        for registration in &facts.registrations {
            if let Some((module, name)) = &registration.server_import {
                let is_server = resolve_module(path, module)
                    .and_then(|file| modules.get(&file))
                    .is_some_and(|facts| facts.agent_servers.contains(name));
                if !is_server {
                    continue;
                }
            }
            let mut form = registration.form.name().to_string();
            if registration.via_partial {
                form.push_str(":partial");
            }
            let (file, function, method) = match &registration.target {
                Target::Local { def_start, method } => (path.clone(), FunctionRef::At(*def_start), *method),
                Target::Imported { module, name } => {
                    let Some(file) = resolve_module(path, module) else { continue };
                    form.push_str(":imported");
                    (file, FunctionRef::Named(name.clone()), false)
                }
            };
            if registration.method_form() {
                form.push_str(":method");
            }
            let entry = out.entry(file).or_default();
            let new = EntrypointRef { function, form, method };
            if !entry.contains(&new) {
                entry.push(new);
            }
        }
    }
    out
}

impl Registration {
    fn method_form(&self) -> bool {
        matches!(self.target, Target::Local { method: true, .. })
    }
}

/// The file a module name refers to from `from_file`: relative (`.agent`,
/// `..pkg.mod`) from its package, absolute from the nearest ancestor directory
/// that holds it. Canonical, or `None` when there is no such file.
pub fn resolve_module(from_file: &Path, module: &str) -> Option<PathBuf> {
    let dir = from_file.parent()?;
    let dots = module.chars().take_while(|c| *c == '.').count();
    let rest = &module[dots..];
    let candidates = |base: &Path| -> Option<PathBuf> {
        let mut path = base.to_path_buf();
        if !rest.is_empty() {
            for part in rest.split('.') {
                path.push(part);
            }
        }
        let file = path.with_extension("py");
        if !rest.is_empty() && file.is_file() {
            return std::fs::canonicalize(file).ok();
        }
        let init = path.join("__init__.py");
        init.is_file().then(|| std::fs::canonicalize(init).ok()).flatten()
    };
    if dots > 0 {
        let mut base = dir.to_path_buf();
        for _ in 1..dots {
            base = base.parent()?.to_path_buf();
        }
        return candidates(&base);
    }
    dir.ancestors().take(16).find_map(candidates)
}
