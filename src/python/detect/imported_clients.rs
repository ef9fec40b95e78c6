//! Clients made in another module of the project: `from .ai_config import
//! get_openai_client` then `get_openai_client().chat.completions.create(...)`,
//! or `from .clients import anthropic_client`. The module is found as the
//! cross-module links find one (`link::resolve_module`), read and parsed on
//! its own, and asked what `clients` asks of a module: what the getter
//! returns (or its return annotation says), what the module-level name is
//! bound to. A module that cannot be read or parsed says nothing.
//!
//! Answers are pure functions of the files, so they are remembered for the
//! whole run; a chain of modules (a getter returning another module's
//! client) is followed a few modules deep, and a cycle ends it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use super::clients::{self, Client};
use super::link::resolve_module;
use crate::python::semantics::Semantics;

/// What is asked of a module: the client `name()` returns, or the client `name` is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    pub module: PathBuf,
    pub name: String,
    pub called: bool,
}

static ANSWERS: LazyLock<Mutex<HashMap<Question, Option<Client>>>> = LazyLock::new(Default::default);

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
    let root = module.trim_start_matches('.').split('.').next().unwrap_or("");
    if !module.starts_with('.') && SDK_ROOTS.contains(&root) {
        return None;
    }
    let question = Question { module: resolve_module(from_file, module)?, name: name.to_string(), called };
    if let Some(answer) = ANSWERS.lock().unwrap_or_else(|e| e.into_inner()).get(&question) {
        return answer.clone();
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
    answer
}

fn answer(question: &Question) -> Option<Client> {
    let metadata = std::fs::metadata(&question.module).ok()?;
    if metadata.len() > MAX_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(&question.module).ok()?;
    let tree = crate::python::parse::tree(&text).ok()?;
    let semantics = Semantics::of(tree.root_node(), &text).at(&question.module);
    if question.called {
        clients::returned_by(semantics.functions.get(&question.name).copied()?, &text, &semantics)
    } else {
        clients::module_name(&question.name, &text, &semantics)
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
}
