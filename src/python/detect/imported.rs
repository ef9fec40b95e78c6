//! What another module of the project says, for code that uses a name it
//! imports from there:
//! - the client a name is or a getter returns: `from .ai_config import
//!   get_openai_client` then `get_openai_client().chat.completions.create(...)`,
//!   or `from .clients import anthropic_client` (asked as `clients` asks a module);
//! - whether a function reaches an LLM call (its own, or one of a function it
//!   calls, as `reach::reaches` follows them): `from .summary import
//!   summarize_call` registered as a shutdown callback.
//!
//! The module is found as the cross-module links find one
//! (`link::resolve_module`), read and parsed on its own. A module that cannot
//! be read or parsed says nothing. Answers are pure functions of the files, so
//! they are remembered for the whole run; a chain of modules (a getter
//! returning another module's client, a function calling another module's) is
//! followed a few modules deep, and a cycle ends it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use super::clients::{self, Client};
use super::link::resolve_module;
use super::{llm_calls, reach};
use crate::python::semantics::{Binding, Semantics};

/// What is asked of a module about one of its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ask {
    /// The client the name is, or returns when `called`.
    Client { called: bool },
    /// Whether the function reaches an LLM call.
    ReachesLlm,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Question {
    module: PathBuf,
    name: String,
    ask: Ask,
}

#[derive(Debug, Clone)]
enum Answer {
    Client(Option<Client>),
    Reaches(bool),
}

static ANSWERS: LazyLock<Mutex<HashMap<Question, Answer>>> = LazyLock::new(Default::default);

thread_local! {
    /// The questions being answered on this thread, outermost first.
    static ASKING: RefCell<Vec<Question>> = const { RefCell::new(Vec::new()) };
}

/// How many modules a chain of imports is followed through.
const DEPTH: usize = 4;

/// The largest module read to answer (a client module is small; a generated one is not one).
const MAX_BYTES: u64 = 1 << 20;

/// Provider SDKs' packages: a name imported from one is the SDK's, never a
/// project module's (a vendored copy of the SDK may sit in the tree).
const SDK_ROOTS: &[&str] =
    &["anthropic", "openai", "mistralai", "cohere", "litellm", "groq", "together", "google", "boto3", "aiobotocore"];

/// The client `name` (imported from `module` by the file at `from_file`)
/// is, or returns when `called`.
pub fn client(from_file: &Path, module: &str, name: &str, called: bool) -> Option<Client> {
    match ask(from_file, module, name, Ask::Client { called })? {
        Answer::Client(client) => client,
        Answer::Reaches(_) => None,
    }
}

/// Whether the function `name` (imported from `module` by the file at
/// `from_file`) reaches an LLM call of its module, or of a module it calls into.
pub fn reaches_llm(from_file: &Path, module: &str, name: &str) -> bool {
    matches!(ask(from_file, module, name, Ask::ReachesLlm), Some(Answer::Reaches(true)))
}

/// The project module's function a callee names, when it is imported
/// (`summarize` after `from .summary import summarize`, `summary.summarize`
/// after `from . import summary` or `import app.summary as summary`): its module and name.
pub fn imported_function(callee: tree_sitter::Node, source: &str, semantics: &Semantics) -> Option<(String, String)> {
    use crate::python::syntax::{text, Field, NodeKind};
    match callee.kind_name() {
        "identifier" => match semantics.imports.get(text(callee, source))? {
            Binding::Member { module, name } => Some((module.clone(), name.clone())),
            Binding::Module(_) => None,
        },
        "attribute" => {
            let object = callee.field("object").filter(|o| o.kind_name() == "identifier")?;
            let module = match semantics.imports.get(text(object, source))? {
                Binding::Module(module) => module.clone(),
                // `from . import summary`, `from app import summary`: a module of the package.
                Binding::Member { module, name } if module.ends_with('.') => format!("{module}{name}"),
                Binding::Member { module, name } => format!("{module}.{name}"),
            };
            Some((module, text(callee.field("attribute")?, source).to_string()))
        }
        _ => None,
    }
}

fn ask(from_file: &Path, module: &str, name: &str, ask: Ask) -> Option<Answer> {
    let root = module.trim_start_matches('.').split('.').next().unwrap_or("");
    if !module.starts_with('.') && SDK_ROOTS.contains(&root) {
        return None;
    }
    let question = Question { module: resolve_module(from_file, module)?, name: name.to_string(), ask };
    if let Some(answer) = ANSWERS.lock().unwrap_or_else(|e| e.into_inner()).get(&question) {
        return Some(answer.clone());
    }
    let outermost = ASKING.with(|asking| {
        let mut asking = asking.borrow_mut();
        if asking.len() >= DEPTH || asking.contains(&question) {
            return None;
        }
        asking.push(question.clone());
        Some(asking.len() == 1)
    })?;
    let answer = answer(&question);
    ASKING.with(|asking| asking.borrow_mut().pop());
    // Only an answer begun afresh is remembered: one found inside a chain may
    // have been cut short by the chain's own depth or cycle.
    if outermost {
        ANSWERS.lock().unwrap_or_else(|e| e.into_inner()).insert(question, answer.clone());
    }
    Some(answer)
}

fn answer(question: &Question) -> Answer {
    let nothing = match question.ask {
        Ask::Client { .. } => Answer::Client(None),
        Ask::ReachesLlm => Answer::Reaches(false),
    };
    let Some(text) = std::fs::metadata(&question.module)
        .ok()
        .filter(|m| m.len() <= MAX_BYTES)
        .and_then(|_| std::fs::read_to_string(&question.module).ok())
    else {
        return nothing;
    };
    let Ok(tree) = crate::python::parse::tree(&text) else { return nothing };
    let semantics = Semantics::of(tree.root_node(), &text).at(&question.module);
    match question.ask {
        Ask::Client { called: true } => Answer::Client(
            semantics.functions.get(&question.name).and_then(|f| clients::returned_by(*f, &text, &semantics)),
        ),
        Ask::Client { called: false } => Answer::Client(clients::module_name(&question.name, &text, &semantics)),
        Ask::ReachesLlm => Answer::Reaches(match semantics.functions.get(&question.name) {
            Some(function) => {
                let calls: Vec<_> =
                    llm_calls::find(&text, &semantics).iter().map(|c| c.call.start_byte()..c.call.end_byte()).collect();
                reach::reaches(*function, &text, &semantics, &calls)
            }
            // A name the module imports itself (a package's `__init__` re-exporting it).
            None => match semantics.imports.get(&question.name) {
                Some(Binding::Member { module, name }) => reaches_llm(&question.module, module, name),
                _ => false,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::detect::clients::Shape;

    #[test]
    fn follows_a_chain_of_modules_and_ends_a_cycle() {
        let root = tempfile::tempdir().unwrap();
        let pkg = root.path().join("app");
        std::fs::create_dir_all(&pkg).unwrap();
        let write = |name: &str, text: &str| std::fs::write(pkg.join(name), text).unwrap();
        write("__init__.py", "");
        write("base.py", "from groq import AsyncGroq\n\nshared = AsyncGroq()\n");
        write("clients.py", "from .base import shared\n\n\ndef get_client():\n    return shared\n");
        write("a.py", "from .b import loop\n\n\ndef loop():\n    return loop()\n");
        write("b.py", "from .a import loop\n");
        write("openai.py", "client = object()\n");
        let user = pkg.join("user.py");
        let groq = Client { shape: Shape::OpenAi, provider: "groq".to_string() };
        assert_eq!(client(&user, ".clients", "get_client", true), Some(groq.clone()));
        assert_eq!(client(&user, "app.clients", "get_client", true), Some(groq.clone()));
        // A name a module imports is its name too (a re-export).
        assert_eq!(client(&user, ".clients", "shared", false), Some(groq));
        assert_eq!(client(&user, ".clients", "get_client", false), None, "a function, not a client");
        assert_eq!(client(&user, ".b", "loop", false), None);
        assert_eq!(client(&user, ".a", "loop", true), None);
        // A module named as an SDK is the SDK, even where the tree holds such a file.
        assert_eq!(client(&user, "openai", "client", false), None);
    }

    #[test]
    fn a_function_reaches_an_llm_call_through_its_own_modules_calls_and_imports() {
        let root = tempfile::tempdir().unwrap();
        let pkg = root.path().join("desk");
        std::fs::create_dir_all(pkg.join("post")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(pkg.join(name), text).unwrap();
        write("__init__.py", "");
        write(
            "llm.py",
            "from anthropic import AsyncAnthropic\n\nclaude = AsyncAnthropic()\n\n\nasync def ask(text):\n    \
             return await claude.messages.create(model=\"m\", max_tokens=9, messages=[text])\n",
        );
        write("post/__init__.py", "from .summary import save\n");
        write(
            "post/summary.py",
            "from ..llm import ask\n\n\nasync def save(reason):\n    await _write(reason)\n\n\n\
             async def _write(reason):\n    return await ask(reason)\n\n\ndef hang_up(reason):\n    return reason\n",
        );
        write("a.py", "from .b import loop\n\n\ndef loop():\n    return loop()\n");
        write("b.py", "from .a import loop\n");
        let user = pkg.join("agent.py");
        assert!(reaches_llm(&user, ".llm", "ask"));
        // Through the module's own function, then another module's import.
        assert!(reaches_llm(&user, ".post.summary", "save"));
        // A package re-exporting it.
        assert!(reaches_llm(&user, ".post", "save"));
        assert!(!reaches_llm(&user, ".post.summary", "hang_up"));
        assert!(!reaches_llm(&user, ".b", "loop"));
        assert!(!reaches_llm(&user, ".missing", "save"));
    }
}
