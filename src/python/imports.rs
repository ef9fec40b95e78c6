//! Where new imports go so that a file whose imports are sorted as isort (and
//! ruff's `I001` with its defaults) sorts them stays sorted: a standard-library
//! `import asyncio` into the standard library's group, `from opentelemetry
//! import ...` into the third-party group, each at its sorted place (plain
//! imports before `from` imports, modules compared without case). A section
//! the file has no group for gets one of its own, between its neighbours.
//!
//! A name joins an existing `from opentelemetry import trace` (`merge_into`)
//! rather than starting a second statement of the module. The project's
//! `known-first-party` modules make a section of their own after the
//! third-party one (the caller reads it, with `combine-as-imports`, from the
//! project's configuration: `project::import_style`).
//!
//! Only the file's leading block of imports is looked at (comments and blank
//! lines between them allowed); a file with none is left to the caller.

use tree_sitter::Node;

use crate::edit::Edit;
use crate::python::syntax::{after_logical_line, is_docstring, line_start, named_children, text, Field, NodeKind};

/// One import statement to add, already rendered (whole lines).
#[derive(Debug, Clone)]
pub struct NewImport {
    /// The imported module (`asyncio`, `opentelemetry`).
    pub module: String,
    /// A `from module import ...` statement (else `import module`).
    pub from: bool,
    /// The first imported name, which orders statements of one module.
    pub first_name: String,
    pub text: String,
}

/// isort's sections, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Future,
    StandardLibrary,
    ThirdParty,
    FirstParty,
    Local,
}

/// An import statement of the file's leading block.
struct Existing {
    end: usize,
    /// Where a line inserted before it goes: above the comment lines attached to it.
    above: usize,
    section: Section,
    key: (bool, String, String),
    /// Index of its group (runs separated by blank lines).
    group: usize,
}

/// Where the new imports go: offsets at line starts and the text to insert
/// there, in the order given; `None` when the file has no leading block of imports.
pub fn place(
    root: Node,
    source: &str,
    new: &[NewImport],
    first_party: &[String],
    line_ending: &str,
) -> Option<Vec<(usize, String)>> {
    let block = leading_block(root, source, first_party);
    if block.is_empty() {
        return None;
    }
    // (where, how, text): in a group; a new group before a later section's; a new group after the last.
    let mut spots: Vec<(usize, Spot, Section, &str)> = Vec::new();
    for import in new {
        let section = section_of(&import.module, false, first_party);
        let key = (import.from, import.module.to_lowercase(), import.first_name.to_lowercase());
        let spot = match block.iter().find(|e| e.section == section).map(|e| e.group) {
            Some(group) => {
                // A group may mix sections (a file not sorted by sections): compare within the section.
                let members: Vec<&Existing> =
                    block.iter().filter(|e| e.group == group && e.section == section).collect();
                match members.iter().find(|e| e.key > key) {
                    Some(next) => (next.above, Spot::InGroup),
                    None => (members.last().map_or(0, |e| e.end), Spot::InGroup),
                }
            }
            None => match block.iter().find(|e| e.section > section) {
                Some(next) => (next.above, Spot::GroupBefore),
                None => (block.last().map_or(0, |e| e.end), Spot::GroupAfter),
            },
        };
        // Nothing goes above a `from __future__` import: CPython requires them first.
        let after_future = block.iter().filter(|e| e.section == Section::Future).map(|e| e.end).max().unwrap_or(0);
        let spot = if spot.0 < after_future { (after_future, Spot::InGroup) } else { spot };
        spots.push((spot.0, spot.1, section, &import.text));
    }
    let mut placed: Vec<(usize, String)> = Vec::new();
    for &(at, _, _, _) in &spots {
        if placed.iter().any(|(p, _)| *p == at) {
            continue;
        }
        // New groups, a section each, one blank line apart (as given, within a section).
        let groups = |how: Spot| -> String {
            let mut here: Vec<(Section, &str)> =
                spots.iter().filter(|(p, h, _, _)| *p == at && *h == how).map(|(_, _, s, t)| (*s, *t)).collect();
            here.sort_by_key(|(section, _)| *section);
            let mut text = String::new();
            for (i, (section, import)) in here.iter().enumerate() {
                if i > 0 && here[i - 1].0 != *section {
                    text.push_str(line_ending);
                }
                text.push_str(import);
            }
            text
        };
        // A new group before the group (or the part of it) that starts here, then what joins that group.
        let mut text = groups(Spot::GroupBefore);
        if !text.is_empty() {
            text.push_str(line_ending);
        }
        text.extend(spots.iter().filter(|(p, h, _, _)| *p == at && *h == Spot::InGroup).map(|(_, _, _, t)| *t));
        let after = groups(Spot::GroupAfter);
        if !after.is_empty() {
            text.push_str(line_ending);
            text.push_str(&after);
        }
        placed.push((at, text));
    }
    Some(placed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    InGroup,
    GroupBefore,
    GroupAfter,
}

/// `from module import a, b` in the file's leading block, on one line, without
/// parentheses (or aliases, unless the sorter combines them): the edit that
/// adds `names` to its list (sorted as isort sorts lowercase names), as isort
/// would merge a second statement of the same module into it.
pub fn merge_into(root: Node, source: &str, module: &str, names: &[String], combine_as: bool) -> Option<Edit> {
    let statement = named_children(root)
        .into_iter()
        .take_while(|s| {
            matches!(s.kind_name(), "import_statement" | "import_from_statement" | "future_import_statement")
                || is_docstring(*s)
        })
        .find(|s| {
            s.kind_name() == "import_from_statement"
                && s.field("module_name").is_some_and(|m| text(m, source) == module)
        })?;
    let mut cursor = statement.walk();
    let members: Vec<Node> = statement.children_by_field_name("name", &mut cursor).collect();
    let (first, last) = (members.first()?, members.last()?);
    let aliased = |m: &Node| m.kind_name() == "aliased_import";
    if members.iter().any(|m| m.kind_name() != "dotted_name" && !(combine_as && aliased(m)))
        || text(statement, source).contains(['(', '\\', '\n'])
    {
        return None;
    }
    let mut merged: Vec<String> = members.iter().map(|m| text(*m, source).to_string()).collect();
    merged.extend(names.iter().filter(|n| !merged.contains(n)).cloned().collect::<Vec<_>>());
    if merged.iter().any(|n| n.chars().any(|c| c.is_ascii_uppercase())) {
        return None;
    }
    merged.sort();
    Some(Edit { start: first.start_byte(), end: last.end_byte(), text: merged.join(", "), order: 1 })
}

/// The import statements before the first other statement (a docstring aside).
fn leading_block(root: Node, source: &str, first_party: &[String]) -> Vec<Existing> {
    let mut block: Vec<Existing> = Vec::new();
    for (index, statement) in named_children(root).into_iter().enumerate() {
        let (module, relative) = match statement.kind_name() {
            "future_import_statement" => ("__future__".to_string(), false),
            "import_statement" => match statement.named_child(0) {
                Some(name) => (imported(name, source), false),
                None => break,
            },
            "import_from_statement" => match statement.field("module_name") {
                Some(module) => {
                    let relative = module.kind_name() == "relative_import";
                    (text(module, source).to_string(), relative)
                }
                None => break,
            },
            _ if index == 0 && is_docstring(statement) => continue,
            _ => break,
        };
        let start = line_start(source, statement.start_byte());
        let end = after_logical_line(source, statement.end_byte());
        let group = match block.last() {
            Some(previous) if source[previous.end..start].lines().any(|l| l.trim().is_empty()) => previous.group + 1,
            Some(previous) => previous.group,
            None => 0,
        };
        // Comments just above an import travel with it, except above a group's first (a heading).
        let first_of_group = block.last().is_none_or(|previous| previous.group != group);
        let above = if first_of_group { start } else { attached_comments_start(source, start) };
        // `from m import a`: `a`; `import m as x`: `x` (after a plain `import m`, as isort orders them).
        let first_name = match statement.kind_name() {
            "import_statement" => statement
                .named_child(0)
                .and_then(|name| name.field("alias"))
                .map(|alias| text(alias, source).to_lowercase())
                .unwrap_or_default(),
            _ => statement
                .field("name")
                .map(|n| text(n, source).split_whitespace().next().unwrap_or("").to_lowercase())
                .unwrap_or_default(),
        };
        let from = statement.kind_name() != "import_statement";
        let key = (from, module.to_lowercase(), first_name);
        block.push(Existing { end, above, section: section_of(&module, relative, first_party), key, group });
    }
    block
}

/// `a.b` of `import a.b` or `import a.b as c`.
fn imported(name: Node, source: &str) -> String {
    let name = if name.kind_name() == "aliased_import" { name.field("name").unwrap_or(name) } else { name };
    text(name, source).to_string()
}

/// The first of the comment lines directly above the line starting at `start`.
fn attached_comments_start(source: &str, start: usize) -> usize {
    let mut at = start;
    while at > 0 {
        let previous = line_start(source, at - 1);
        if !source[previous..at].trim_start().starts_with('#') {
            break;
        }
        at = previous;
    }
    at
}

fn section_of(module: &str, relative: bool, first_party: &[String]) -> Section {
    let root = module.split('.').next().unwrap_or(module);
    let configured = |known: &String| module == known || module.starts_with(&format!("{known}."));
    if relative || module.starts_with('.') {
        Section::Local
    } else if root == "__future__" {
        Section::Future
    } else if first_party.iter().any(configured) {
        Section::FirstParty
    } else if STANDARD_LIBRARY.binary_search(&root).is_ok() {
        Section::StandardLibrary
    } else {
        Section::ThirdParty
    }
}

/// Python 3.11's `sys.stdlib_module_names` (private ones aside), sorted.
const STANDARD_LIBRARY: &[&str] = &[
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse;

    /// The source with `asyncio` and `opentelemetry` imports placed.
    fn placed(source: &str, first_party: &[&str]) -> String {
        let tree = parse::parse(source).unwrap();
        let new = [
            NewImport {
                module: "asyncio".into(),
                from: false,
                first_name: String::new(),
                text: "import asyncio\n".into(),
            },
            NewImport {
                module: "opentelemetry".into(),
                from: true,
                first_name: "metrics".into(),
                text: "from opentelemetry import metrics, trace\n".into(),
            },
        ];
        let first_party: Vec<String> = first_party.iter().map(|s| s.to_string()).collect();
        let mut places = place(tree.root_node(), source, &new, &first_party, "\n").unwrap();
        places.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        let mut out = source.to_string();
        for (at, text) in places {
            out.insert_str(at, &text);
        }
        out
    }

    #[test]
    fn each_import_in_its_section_at_its_sorted_place() {
        let source = "\"\"\"Doc.\"\"\"\n\nfrom __future__ import annotations\n\n# stdlib\nimport logging\nfrom dataclasses import dataclass\n\nfrom livekit.agents import cli\nfrom zeta import z\n\nfrom .local import x\n\nx = 1\n";
        assert_eq!(
            placed(source, &[]),
            "\"\"\"Doc.\"\"\"\n\nfrom __future__ import annotations\n\n# stdlib\nimport asyncio\nimport logging\nfrom dataclasses import dataclass\n\nfrom livekit.agents import cli\nfrom opentelemetry import metrics, trace\nfrom zeta import z\n\nfrom .local import x\n\nx = 1\n"
        );
    }

    #[test]
    fn missing_sections_get_groups_between_their_neighbours() {
        // No standard library group: one before the third-party group, after the header comment.
        assert_eq!(
            placed("# header\nfrom livekit.agents import cli\n\nx = 1\n", &[]),
            "# header\nimport asyncio\n\nfrom livekit.agents import cli\nfrom opentelemetry import metrics, trace\n\nx = 1\n"
        );
        // livekit configured as first-party: opentelemetry gets a third-party group before it.
        assert_eq!(
            placed("import os\n\nfrom livekit.agents import cli\n", &["livekit"]),
            "import asyncio\nimport os\n\nfrom opentelemetry import metrics, trace\n\nfrom livekit.agents import cli\n"
        );
        // Only the standard library: the third-party group after it.
        // A third-party import sorting first in its group, and a new standard library group before it.
        assert_eq!(
            placed("from pydantic import BaseModel\n", &[]),
            "import asyncio\n\nfrom opentelemetry import metrics, trace\nfrom pydantic import BaseModel\n"
        );
        assert_eq!(
            placed("import os\n", &[]),
            "import asyncio\nimport os\n\nfrom opentelemetry import metrics, trace\n"
        );
        // Only local imports: two new groups before them, each its own.
        assert_eq!(
            placed("from . import config\nfrom .store import open_store\n", &[]),
            "import asyncio\n\nfrom opentelemetry import metrics, trace\n\nfrom . import config\nfrom .store import open_store\n"
        );
        // Only `from __future__`: two new groups after it.
        assert_eq!(
            placed("from __future__ import annotations\n\nx = 1\n", &[]),
            "from __future__ import annotations\n\nimport asyncio\n\nfrom opentelemetry import metrics, trace\n\nx = 1\n"
        );
    }

    #[test]
    fn nothing_goes_above_a_future_import() {
        // One group mixing sections (not sorted by isort): each import goes by its own section,
        // and never above `from __future__`, which CPython requires first.
        assert_eq!(
            placed("from __future__ import annotations\nimport os\nfrom livekit.agents import cli\n\nx = 1\n", &[]),
            "from __future__ import annotations\nimport asyncio\nimport os\nfrom livekit.agents import cli\nfrom opentelemetry import metrics, trace\n\nx = 1\n"
        );
        assert_eq!(
            placed("#!/usr/bin/env python3\nfrom __future__ import annotations\nfrom zeta import z\n", &[]),
            "#!/usr/bin/env python3\nfrom __future__ import annotations\nimport asyncio\n\nfrom opentelemetry import metrics, trace\nfrom zeta import z\n"
        );
    }

    #[test]
    fn a_name_joins_the_statement_of_its_module() {
        let source = "from opentelemetry import trace\n";
        let tree = parse::parse(source).unwrap();
        let edit = merge_into(tree.root_node(), source, "opentelemetry", &["metrics".into()], false).unwrap();
        assert_eq!(edit.text, "metrics, trace");
        let source = "from opentelemetry import (\n    trace,\n)\n";
        let tree = parse::parse(source).unwrap();
        assert!(merge_into(tree.root_node(), source, "opentelemetry", &["metrics".into()], false).is_none());
    }
}
