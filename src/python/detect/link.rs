//! Linking registrations to the functions they name, across modules: a
//! registration in `main.py` of `from .agent import entrypoint` makes the
//! `entrypoint` of `agent.py` an entrypoint.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::registrations::{Registration, Target};
use crate::prefilter::{word_key, Word};

/// The entrypoint facts one module contributes.
#[derive(Debug, Clone, Default)]
pub struct ModuleFacts {
    pub registrations: Vec<Registration>,
    /// Module-level names bound to `AgentServer(...)`.
    pub agent_servers: HashSet<String>,
    /// Module-level functions: the start of each `function_definition`, and its name.
    pub functions: Vec<(usize, String)>,
    /// What its imports bind: the local name, the module, and the member (`from m import n`).
    pub imports: Vec<(String, String, Option<String>)>,
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

/// The calls by which each module hands its job to an entrypoint of another
/// module (`await other_agent.entrypoint(ctx)`, `await vision_entrypoint(ctx)`
/// after `from .vision import entrypoint as vision_entrypoint`): the callees as
/// written, for the modules that import an entrypoint. Such a call runs a
/// whole session, span and all, inside the caller's: a dispatcher that only
/// delegates must not start a second `voice.session` around it.
pub fn delegations(
    modules: &HashMap<PathBuf, ModuleFacts>,
    entrypoints: &HashMap<PathBuf, Vec<EntrypointRef>>,
) -> HashMap<PathBuf, HashSet<String>> {
    let names_in = |file: &PathBuf| -> Vec<String> {
        let facts = modules.get(file);
        let name_at =
            |start: usize| facts.and_then(|f| f.functions.iter().find(|(at, _)| *at == start)).map(|(_, n)| n.clone());
        entrypoints
            .get(file)
            .into_iter()
            .flatten()
            .filter(|e| !e.method)
            .filter_map(|e| match &e.function {
                FunctionRef::Named(name) => Some(name.clone()),
                FunctionRef::At(start) => name_at(*start),
            })
            .collect()
    };
    let mut out: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    for (path, facts) in modules {
        for (local, module, member) in &facts.imports {
            let mut callees = Vec::new();
            match member {
                Some(member) => {
                    if let Some(file) = resolve_module(path, module) {
                        if names_in(&file).contains(member) {
                            callees.push(local.clone());
                        }
                    }
                    // `from package import agent`: a module, whose entrypoints are called as `agent.entrypoint`.
                    let submodule = format!("{}{}{member}", module, if module.ends_with('.') { "" } else { "." });
                    if let Some(file) = resolve_module(path, &submodule) {
                        callees.extend(names_in(&file).into_iter().map(|n| format!("{local}.{n}")));
                    }
                }
                None => {
                    if let Some(file) = resolve_module(path, module) {
                        callees.extend(names_in(&file).into_iter().map(|n| format!("{local}.{n}")));
                    }
                }
            }
            if !callees.is_empty() {
                out.entry(path.clone()).or_default().extend(callees);
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

/// The names that import a file as a module: `agent` for `agent.py`; the
/// package's name and `__init__` (a relative `from . import`) for `pkg/__init__.py`.
pub fn module_keys(path: &Path) -> Vec<Word> {
    let key = |name: &std::ffi::OsStr| word_key(name.as_encoded_bytes());
    match path.file_stem() {
        Some(stem) if stem == "__init__" => {
            let package = path.parent().and_then(Path::file_name).map(key);
            package.into_iter().chain([word_key(b"__init__")]).collect()
        }
        Some(stem) => vec![key(stem)],
        None => Vec::new(),
    }
}

/// A registering file as the walk saw it, before it is parsed.
pub struct Importer<'a> {
    pub canonical: &'a Path,
    /// Its module keys (under its walked and its canonical name).
    pub keys: &'a [Word],
    /// The words of its import statements (`prefilter::imported_words`).
    pub words: &'a [Word],
}

/// The registering files whose module facts the links need before any file is
/// instrumented: those whose imports name another walked module (a
/// registration may target a function there, or its `AgentServer`), and the
/// registering files those name. Every other registering file links only within
/// itself — no registration elsewhere can name it, and none of its own can name
/// another file — so its facts are made when it is instrumented, from the same
/// parse. `walked_keys` counts each module key over every walked Python file; a
/// file whose words name one is then asked `imports_another` (which looks where
/// its imports lead, `module_there`; given the importer's index): in a large tree some walked file is
/// always called `cli` or `config`.
pub fn early_facts(
    importers: &[Importer],
    walked_keys: &HashMap<Word, usize>,
    imports_another: impl Fn(usize) -> bool + Sync,
) -> HashSet<PathBuf> {
    use rayon::prelude::*;
    let names_another = |importer: &Importer| {
        importer.words.iter().any(|word| {
            let own = usize::from(importer.keys.contains(word));
            walked_keys.get(word).is_some_and(|count| *count > own)
        })
    };
    let linking: Vec<&Importer> = (0..importers.len())
        .into_par_iter()
        .filter(|&index| names_another(&importers[index]) && imports_another(index))
        .map(|index| &importers[index])
        .collect();
    let named: HashSet<Word> = linking.iter().flat_map(|i| i.words.iter().copied()).collect();
    let mut out: HashSet<PathBuf> = linking.iter().map(|i| i.canonical.to_path_buf()).collect();
    out.extend(
        importers.iter().filter(|i| i.keys.iter().any(|k| named.contains(k))).map(|i| i.canonical.to_path_buf()),
    );
    out
}

/// Whether an import of `file` naming `name` can lead to another module there,
/// as `resolve_module` looks: a module's first part is `name.py` or a
/// directory `name` in the file's directory or one of its ancestors; `__init__`
/// (a relative import) is a package's `__init__.py` there. A later part or an
/// imported name is found under such a directory, through its first part.
pub fn module_there(file: &Path, name: &str) -> bool {
    let Some(dir) = file.parent() else { return false };
    dir.ancestors().take(16).any(|base| {
        if name == "__init__" {
            let init = base.join("__init__.py");
            return init != file && init.is_file();
        }
        let module = base.join(format!("{name}.py"));
        (module != file && module.is_file()) || base.join(name).is_dir()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<Word> {
        list.iter().map(|w| word_key(w.as_bytes())).collect()
    }

    #[test]
    fn module_keys_name_files_and_packages() {
        assert_eq!(module_keys(Path::new("app/agent.py")), words(&["agent"]));
        assert_eq!(module_keys(Path::new("app/tools/__init__.py")), words(&["tools", "__init__"]));
    }

    #[test]
    fn module_there_looks_in_the_directory_and_its_ancestors() {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        std::fs::create_dir_all(app.join("tools")).unwrap();
        for file in ["main.py", "agent.py", "__init__.py"] {
            std::fs::write(app.join(file), "").unwrap();
        }
        std::fs::write(root.path().join("server.py"), "").unwrap();
        let main = app.join("main.py");
        assert!(module_there(&main, "agent") && module_there(&main, "tools") && module_there(&main, "__init__"));
        assert!(module_there(&main, "server"), "an ancestor's module");
        assert!(module_there(&main, "app"), "the package itself, from above");
        assert!(!module_there(&main, "main"), "not the file itself");
        assert!(!module_there(&main, "livekit"));
    }

    #[test]
    fn early_facts_are_those_of_files_importing_another_and_what_they_name() {
        let (main, agent, server, alone) =
            (Path::new("/r/main.py"), Path::new("/r/agent.py"), Path::new("/r/server.py"), Path::new("/r/solo.py"));
        let main_words = words(&["from", "import", "agent", "entrypoint", "server"]);
        let agent_words = words(&["from", "livekit", "agents", "import", "cli"]);
        let alone_words = words(&["import", "solo", "asyncio"]);
        let importers = [
            Importer { canonical: main, keys: &module_keys(main), words: &main_words },
            Importer { canonical: agent, keys: &module_keys(agent), words: &agent_words },
            Importer { canonical: server, keys: &module_keys(server), words: &agent_words },
            Importer { canonical: alone, keys: &module_keys(alone), words: &alone_words },
        ];
        let walked: HashMap<Word, usize> = ["main", "agent", "server", "solo", "asyncio_helpers"]
            .iter()
            .map(|k| (word_key(k.as_bytes()), 1))
            .collect();
        let early = early_facts(&importers, &walked, |_| true);
        // `main` names two walked modules; `solo` names only itself (and a module not walked).
        let expected: HashSet<PathBuf> = [main, agent, server].iter().map(|p| p.to_path_buf()).collect();
        assert_eq!(early, expected);
        // Two files of the same name: naming it names the other one.
        let walked: HashMap<Word, usize> = [(word_key(b"solo"), 2)].into_iter().collect();
        assert_eq!(early_facts(&importers[3..], &walked, |_| true).len(), 1);
        // Where the imports lead decides: no file of `main`'s imports is there.
        assert!(early_facts(&importers, &walked, |_| false).is_empty());
    }
}
