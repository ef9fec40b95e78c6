//! The byte prefilter: which files are worth parsing at all, decided from the
//! raw bytes before decoding, like ripgrep decides a match.
//!
//! One Aho-Corasick automaton finds two kinds of token (case-sensitive, as Python
//! names are, which also lets it use its SIMD prefilter):
//!
//! - *anywhere* tokens, which keep a file wherever they occur: the ways an
//!   entrypoint is registered (`entrypoint_fnc`, `rtc_session`, …), an
//!   `AgentSession(` / `AgentSession[` being made, a LiveKit plugin,
//!   `opentelemetry` (the style rules read it), the `bedrock-runtime` client,
//!   and the calls only a provider SDK makes (`.chat.completions.create(`,
//!   `.converse(`, `.generate_content`, …: on a client made in another module
//!   of the project, followed there, or of unknown origin, VOF116);
//! - *import* tokens, the provider SDKs' module names (`openai`, `anthropic`,
//!   `genai`, …), which keep a file only when one occurs in an `import` or
//!   `from` statement. The detectors only ever know a provider from a name the
//!   file imports, so a file that merely mentions `openai` in a docstring, or an
//!   SDK's own sources importing each other relatively, cannot hold a call site.
//!
//! The statement test is deliberately generous (a line that starts with
//! `import`/`from`, or continues one through `(` or `\`): a false "keep" costs a
//! parse, a false "skip" would lose an instrumentation.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

/// Tokens that say a file may register an entrypoint (or make the `AgentServer`).
const REGISTRATION: &[&str] = &["entrypoint_fnc", "rtc_session", "WorkerOptions", "ServerOptions", "AgentServer"];

/// Other tokens that keep a file wherever they occur.
const ANYWHERE: &[&str] = &[
    // sessions made here (plain or generic) and LiveKit plugins
    "AgentSession(",
    "AgentSession[",
    "livekit.plugins",
    // the style rules read OpenTelemetry code
    "opentelemetry",
    // `boto3.client("bedrock-runtime")`, `agents.inference.LLM(...)`
    "bedrock-runtime",
    "inference.LLM(",
    // calls only a provider SDK makes, on a client from elsewhere (reported: VOF116)
    ".chat.completions.create(",
    ".converse(",
    ".converse_stream(",
    ".generate_content",
    // openai's Responses and mistral's chat, on a client made in another module of the project
    ".responses.create(",
    ".chat.complete(",
    ".chat.complete_async(",
    // anthropic's too, on a client from elsewhere, where its arguments say so (Twilio's has the same name)
    ".messages.create(",
    ".messages.stream(",
];

/// Provider SDKs' top-level modules: they keep a file only where they are
/// imported as a module (`import openai`, `import os, groq`, `from anthropic.types
/// import X`), not as a name from another module (`from sympy import together`).
const ROOT_MODULES: &[&str] = &["anthropic", "openai", "mistralai", "cohere", "litellm", "groq", "together"];

/// Submodules that keep a file where an import statement naming their parent
/// package mentions them (`from google import genai`, `import google.genai`,
/// `from livekit.agents import inference`).
const SUBMODULES: &[(&str, &str)] = &[("genai", "google"), ("inference", "livekit")];

/// What the prefilter says about a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing in it can matter: not parsed.
    Skip,
    /// Worth parsing.
    Parse,
    /// Worth parsing, and it may register an entrypoint (its module facts are needed for the links).
    ParseRegistering,
}

/// A Rust file is worth parsing when it names one of the LLM crates.
const RUST_CRATES: &[&str] = &["async_openai", "anthropic_ai_sdk", "genai::", "genai;"];

/// What a token found in a Python file means.
#[derive(Debug, Clone, Copy)]
enum Token {
    Registration,
    Anywhere,
    RootModule,
    /// A submodule, with the parent package its import statement must name.
    Submodule(&'static str),
}

/// The compiled prefilter; build it once and share it between threads.
pub struct Prefilter {
    automaton: AhoCorasick,
    /// What each of the automaton's patterns means, by pattern index.
    tokens: Vec<Token>,
    rust: AhoCorasick,
}

impl Default for Prefilter {
    fn default() -> Self {
        let patterns: Vec<(&str, Token)> = REGISTRATION
            .iter()
            .map(|t| (*t, Token::Registration))
            .chain(ANYWHERE.iter().map(|t| (*t, Token::Anywhere)))
            .chain(ROOT_MODULES.iter().map(|t| (*t, Token::RootModule)))
            .chain(SUBMODULES.iter().map(|(name, parent)| (*name, Token::Submodule(parent))))
            .collect();
        let automaton = AhoCorasickBuilder::new()
            // `inference.LLM(` wins over `inference`
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(pattern, _)| pattern))
            .expect("fixed patterns build");
        let rust = AhoCorasick::new(RUST_CRATES).expect("fixed patterns build");
        Prefilter { automaton, tokens: patterns.into_iter().map(|(_, token)| token).collect(), rust }
    }
}

impl Prefilter {
    /// Looks at a Rust file's bytes: it never registers entrypoints.
    pub fn verdict_rust(&self, bytes: &[u8]) -> Verdict {
        if self.rust.is_match(bytes) {
            Verdict::Parse
        } else {
            Verdict::Skip
        }
    }

    /// Looks at a Python file's bytes.
    pub fn verdict(&self, bytes: &[u8]) -> Verdict {
        let mut keep = false;
        for found in self.automaton.find_iter(bytes) {
            let token = self.tokens[found.pattern().as_usize()];
            if matches!(token, Token::Registration) {
                return Verdict::ParseRegistering;
            }
            if keep {
                continue;
            }
            let imported = || {
                whole_word(bytes, found.start(), found.end()).then(|| import_statement(bytes, found.start())).flatten()
            };
            keep = match token {
                Token::Registration | Token::Anywhere => true,
                Token::RootModule => imported().is_some_and(|at| imported_as_module(&bytes[at..found.start()])),
                Token::Submodule(parent) => {
                    imported().is_some_and(|at| contains(&bytes[at..found.start()], parent.as_bytes()))
                }
            };
        }
        if keep {
            Verdict::Parse
        } else {
            Verdict::Skip
        }
    }
}

/// The words of every logical line holding the keyword `import` — its modules,
/// the names it imports, anything else on the line — and `__init__` when one
/// imports relatively (`from . import x` names the package's `__init__.py`).
/// One module links to another only by importing it, so a file whose words
/// name no other file's module links only within itself (`link::early_facts`).
/// Generous, like the rest of the prefilter: an extra word costs a parse.
pub fn imported_words(bytes: &[u8]) -> Vec<Word> {
    let mut words = std::collections::BTreeSet::new();
    each_import_word(bytes, |word| {
        words.insert(word_key(word));
    });
    words.into_iter().collect()
}

/// Where the import statements start looking, for the few files whose words
/// name another walked module (`link::module_there` looks where each leads): a
/// module's first part (`pkg` of `from pkg.agent import x`; `agent` of `from
/// .agent import x`), and for `from . import agent` the names and `__init__`.
/// Later parts and imported names are only found through their first part. A
/// line that holds an import but is not one (`if x: import y`) gives all its words.
pub fn imported_roots(bytes: &[u8]) -> Vec<String> {
    let mut roots = std::collections::BTreeSet::new();
    each_import_statement(bytes, |statement| {
        // One line of code: no comments, continuations or parentheses.
        let mut code = String::new();
        for line in String::from_utf8_lossy(statement).lines() {
            let line = line.split('#').next().unwrap_or_default();
            code.push_str(line.trim_end().trim_end_matches('\\'));
            code.push(' ');
        }
        let code = code.replace(['(', ')'], " ");
        for piece in code.split(';') {
            statement_roots(piece.trim(), &mut roots);
        }
    });
    roots.into_iter().map(|root| String::from_utf8_lossy(&root).into_owned()).collect()
}

/// The roots of one simple statement (`imported_roots`).
fn statement_roots(piece: &str, roots: &mut std::collections::BTreeSet<Vec<u8>>) {
    let first = |item: &str| identifier_runs(item.trim().as_bytes()).next().map(|(_, w)| w.to_vec());
    if let Some(rest) = after_keyword(piece, "import") {
        roots.extend(rest.split(',').filter_map(first));
    } else if let Some(rest) = after_keyword(piece, "from") {
        let rest = rest.trim_start();
        let dots = rest.len() - rest.trim_start_matches('.').len();
        let rest = rest[dots..].trim_start();
        let Some(at) = find_keyword(rest, "import") else { return };
        match first(&rest[..at]) {
            Some(module) => roots.extend([module]),
            None => roots.extend(rest[at + "import".len()..].split(',').filter_map(first)),
        }
        if dots > 0 {
            roots.insert(b"__init__".to_vec());
        }
    } else if let Some(at) = find_keyword(piece, "import") {
        // `if ok: import agent`, `else: from . import x`: every word before the
        // statement, and the statement's roots.
        let start = find_keyword(&piece[..at], "from").unwrap_or(at);
        roots.extend(identifier_runs(&piece.as_bytes()[..start]).map(|(_, w)| w.to_vec()));
        statement_roots(&piece[start..], roots);
    }
}

/// `text` after a leading keyword (`import x` → ` x`).
fn after_keyword<'t>(text: &'t str, keyword: &str) -> Option<&'t str> {
    let rest = text.strip_prefix(keyword)?;
    (!rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')).then_some(rest)
}

/// Where a keyword stands as a whole word in `text`.
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    text.match_indices(keyword).map(|(at, _)| at).find(|&at| whole_word(text.as_bytes(), at, at + keyword.len()))
}

/// Calls `found` with every word of every import statement, and `__init__` for a relative one.
fn each_import_word(bytes: &[u8], mut found: impl FnMut(&[u8])) {
    each_import_statement(bytes, |statement| {
        for (index, word) in identifier_runs(statement) {
            if word == b"from" {
                let after = &statement[index + word.len()..];
                let next = after.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\\' | b'\r' | b'\n'));
                if next == Some(&b'.') {
                    found(b"__init__");
                }
            }
            found(word);
        }
    });
}

/// Calls `found` with the bytes of every logical line that holds the keyword
/// `import`, through its continuations and parentheses.
fn each_import_statement(bytes: &[u8], mut found: impl FnMut(&[u8])) {
    let mut done = 0;
    for at in memchr::memmem::find_iter(bytes, b"import") {
        if at < done || !whole_word(bytes, at, at + b"import".len()) {
            continue;
        }
        // Back over backslash-continued lines to the start of the logical line.
        let mut start = line_start(bytes, at);
        for _ in 0..64 {
            if start == 0 || !trim_end(&bytes[line_start(bytes, start - 1)..start - 1]).ends_with(b"\\") {
                break;
            }
            start = line_start(bytes, start - 1);
        }
        // On through open parentheses and backslashes (a comment's are not counted).
        let mut end = at;
        let mut depth = 0i64;
        for _ in 0..256 {
            let line_end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i);
            let line = &bytes[end..line_end];
            let code = &line[..memchr::memchr(b'#', line).unwrap_or(line.len())];
            depth += code.iter().map(|b| i64::from(*b == b'(') - i64::from(*b == b')')).sum::<i64>();
            end = line_end;
            if (depth <= 0 && !trim_end(code).ends_with(b"\\")) || line_end == bytes.len() {
                break;
            }
            end += 1;
        }
        done = end;
        found(&bytes[start..end]);
    }
}

/// The identifiers of a statement's bytes, with where each starts (a run of
/// letters, digits, `_` and non-ASCII bytes, not starting with a digit).
fn identifier_runs(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            at += bytes[at..].iter().take_while(|b| identifier_byte(b)).count();
            if at > start {
                if !bytes[start].is_ascii_digit() {
                    return Some((start, &bytes[start..at]));
                }
            } else {
                at += 1;
            }
        }
        None
    })
}

/// A name as the links compare it: a hash (a rare collision only makes a file
/// look like it imports another, which costs a parse), so that thousands of
/// files' import words take a few bytes each.
pub type Word = u64;

/// A word as a module name to compare with files' names: as it is, or
/// lowercased where the file system ignores case (`import Agent` finds `agent.py` there).
pub fn word_key(word: &[u8]) -> Word {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        word.to_ascii_lowercase().hash(&mut hasher);
    } else {
        word.hash(&mut hasher);
    }
    hasher.finish()
}

/// Whether a name that follows `before` (an import statement's text up to it)
/// is the root of an imported module: right after `from`, or after `import` or
/// a comma in an `import` statement.
fn imported_as_module(before: &[u8]) -> bool {
    // The statement it is in, after any `;`.
    let statement = trim_start(before.rsplit(|&b| b == b';').next().unwrap_or(before));
    let before = trim_end_continued(statement);
    if statement.starts_with(b"from") {
        before == b"from"
    } else {
        ends_with_word(before, b"import") || before.ends_with(b",")
    }
}

/// `bytes` without trailing blanks, line breaks and backslash continuations.
fn trim_end_continued(bytes: &[u8]) -> &[u8] {
    let keep = bytes.len() - bytes.iter().rev().take_while(|b| b.is_ascii_whitespace() || **b == b'\\').count();
    &bytes[..keep]
}

fn ends_with_word(bytes: &[u8], word: &[u8]) -> bool {
    bytes.ends_with(word) && (bytes.len() == word.len() || !bytes[bytes.len() - word.len() - 1].is_ascii_alphanumeric())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether `bytes[start..end]` is a whole identifier (`openai`, not `configuration_openai`).
fn whole_word(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|i| &bytes[i]);
    !before.is_some_and(identifier_byte) && !bytes.get(end).is_some_and(identifier_byte)
}

/// A byte of a Python identifier: a letter, a digit, `_`, or part of a non-ASCII character.
fn identifier_byte(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80
}

/// Where the `import`/`from` statement the byte at `at` may sit in starts: its
/// line starts one, or continues one (the lines before it open a parenthesis or
/// end in a backslash, back to a line that starts one).
fn import_statement(bytes: &[u8], at: usize) -> Option<usize> {
    let mut start = line_start(bytes, at);
    // `x = 1; import groq`: the statement after the last `;`.
    if let Some(semicolon) = bytes[start..at].iter().rposition(|&b| b == b';') {
        let after = trim_start(&bytes[start + semicolon + 1..at]);
        if after.starts_with(b"import") || after.starts_with(b"from") {
            return Some(start + semicolon + 1);
        }
    }
    // At most this many lines back through a parenthesised or continued import.
    for _ in 0..64 {
        let line = trim_start(&bytes[start..]);
        if line.starts_with(b"import") || line.starts_with(b"from") {
            return Some(start);
        }
        if start == 0 {
            return None;
        }
        let previous_start = line_start(bytes, start - 1);
        let previous = trim_end(&bytes[previous_start..start - 1]);
        let continues = previous.ends_with(b"\\")
            || previous.ends_with(b"(")
            || previous.ends_with(b",")
            || (previous.contains(&b'(') && !previous.contains(&b')'));
        if !continues {
            return None;
        }
        start = previous_start;
    }
    None
}

fn line_start(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\x0c')).count();
    &bytes[skip..]
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let keep = bytes.len() - bytes.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[..keep]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(source: &str) -> Verdict {
        Prefilter::default().verdict(source.as_bytes())
    }

    #[test]
    fn registration_tokens_mark_registering_files() {
        assert_eq!(verdict("opts = WorkerOptions(entrypoint_fnc=entrypoint)\n"), Verdict::ParseRegistering);
        assert_eq!(verdict("@server.rtc_session()\nasync def f(ctx): ...\n"), Verdict::ParseRegistering);
    }

    #[test]
    fn provider_names_count_only_in_imports() {
        assert_eq!(verdict("import openai\n"), Verdict::Parse);
        assert_eq!(verdict("import os, anthropic as a\n"), Verdict::Parse);
        assert_eq!(verdict("    from openai.types import X\n"), Verdict::Parse);
        assert_eq!(verdict("from google import genai\n"), Verdict::Parse);
        assert_eq!(verdict("from google import (\n    types,\n    genai,\n)\n"), Verdict::Parse);
        assert_eq!(verdict("import os, \\\n    litellm\n"), Verdict::Parse);
        assert_eq!(verdict("from livekit.agents import inference\n"), Verdict::Parse);
        assert_eq!(verdict("\"\"\"Talks to OpenAI.\"\"\"\nfrom ._client import Client\n"), Verdict::Skip);
        assert_eq!(verdict("x = call(openai)\n"), Verdict::Skip);
        assert_eq!(verdict("from .configuration_openai import Config\nimport openai_like\n"), Verdict::Skip);
        assert_eq!(verdict("# anthropic\nprint('together')\n"), Verdict::Skip);
        assert_eq!(verdict("from sympy import (\n    horner, together,\n)\n"), Verdict::Skip);
        assert_eq!(verdict("from sympy.logic.inference import satisfiable\n"), Verdict::Skip);
        assert_eq!(verdict("from x.openai import y\n"), Verdict::Skip);
        assert_eq!(verdict("x = 1; import groq\n"), Verdict::Parse);
        assert_eq!(verdict("from livekit.agents.inference import LLM\n"), Verdict::Parse);
        assert_eq!(verdict("import google.genai as g\n"), Verdict::Parse);
        assert_eq!(verdict("llm = agents.inference.LLM(model=m)\n"), Verdict::Parse);
    }

    /// The words found, each by its name among `names` (a name not among them shows as `?`).
    fn words_among(source: &str, names: &[&str]) -> Vec<String> {
        let name = |word: &Word| names.iter().find(|n| word_key(n.as_bytes()) == *word).map_or("?", |n| n);
        let mut found: Vec<String> = imported_words(source.as_bytes()).iter().map(|w| name(w).to_string()).collect();
        found.sort();
        found
    }

    const NAMES: &[&str] = &[
        "__init__",
        "agent",
        "app",
        "as",
        "entrypoint",
        "from",
        "import",
        "m",
        "main",
        "other",
        "pkg",
        "server",
        "tools",
        "x",
    ];

    fn words(source: &str) -> Vec<String> {
        words_among(source, NAMES)
    }

    #[test]
    fn imported_words_cover_every_import_form() {
        assert_eq!(words("from .agent import entrypoint\n"), ["__init__", "agent", "entrypoint", "from", "import"]);
        assert_eq!(words("from . import agent\n"), ["__init__", "agent", "from", "import"]);
        assert_eq!(words("import pkg.main as m, other\n"), ["as", "import", "m", "main", "other", "pkg"]);
        // Parenthesised and continued statements, to their end; a comment's parentheses do not count.
        let found = words("from app import (  # (\n    server,\n    tools,\n)\nx = agent\n");
        assert!(found.contains(&"server".to_string()) && found.contains(&"tools".to_string()), "{found:?}");
        assert!(!found.contains(&"agent".to_string()), "{found:?}");
        let found = words("from app \\\n    import server\nfrom \\\n  .tools import x\n");
        assert!(["app", "server", "tools", "__init__"].iter().all(|w| found.contains(&w.to_string())), "{found:?}");
        assert_eq!(words("x = 1; import agent\n"), ["agent", "import", "x"]);
        // Not a statement's keyword: nothing.
        assert!(words("importlib.reload(agent)\nmy_import = agent\n").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn imported_roots_are_where_imports_start_looking() {
        let roots = |source: &str| imported_roots(source.as_bytes());
        assert_eq!(roots("from livekit.agents import (\n    Agent,  # the base )\n    cli,\n)\n"), ["livekit"]);
        assert_eq!(roots("import os, pkg.agent as a\n"), ["os", "pkg"]);
        assert_eq!(roots("from .agent import entrypoint\n"), ["__init__", "agent"]);
        assert_eq!(roots("from . import agent, tools as t\n"), ["__init__", "agent", "tools"]);
        assert_eq!(roots("from.. import server\n"), ["__init__", "server"]);
        assert_eq!(roots("from app \\\n    import server\nx = 1; import agent\n"), ["agent", "app"]);
        // Not an import statement at its start: every word before it, and its roots.
        assert_eq!(roots("if ok: import agent\n"), ["agent", "if", "ok"]);
        assert_eq!(roots("else: from . import entrypoint\n"), ["__init__", "else", "entrypoint"]);
        assert!(roots("importlib.import_module(name)\n").is_empty());
    }

    #[test]
    fn anywhere_tokens_keep_the_file() {
        assert_eq!(verdict("s = AgentSession(llm=x)\n"), Verdict::Parse);
        assert_eq!(verdict("s = voice.AgentSession[Data](llm=x)\n"), Verdict::Parse);
        assert_eq!(verdict("c = boto3.client(\"bedrock-runtime\")\n"), Verdict::Parse);
        assert_eq!(verdict("from opentelemetry import trace\n"), Verdict::Parse);
        assert_eq!(verdict("def f(session: AgentSession) -> None: ...\n"), Verdict::Skip);
        assert_eq!(verdict(""), Verdict::Skip);
    }
}
