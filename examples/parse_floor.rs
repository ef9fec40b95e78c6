//! The floor of voice-otel-fix's design, for `bench/run.sh`: walk a tree the
//! same way (`ignore`, `.gitignore` respected, hidden files skipped, symlinks
//! not followed), read every `.py` file and parse it with tree-sitter-python on
//! rayon's pool, with one parser per thread. Nothing else: no prefilter, no
//! analysis, no rewrite, no diff.
//!
//! ```sh
//! cargo build --release --example parse_floor
//! target/release/examples/parse_floor [--keep-trees] DIR [DIR ...]
//! ```
//!
//! Prints the file count, bytes, syntax-tree nodes and files with errors, so
//! the parse cannot be optimised away. With `--keep-trees` every tree and
//! source is held until the end, as a two-phase design (parse all, link, then
//! rewrite) does: the memory floor of that design.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};
use rayon::prelude::*;
use tree_sitter::{Parser, Tree};

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).expect("tree-sitter-python loads");
        parser
    });
}

fn main() {
    let mut keep_trees = false;
    let mut roots: Vec<PathBuf> = Vec::new();
    for arg in std::env::args_os().skip(1) {
        if arg == "--keep-trees" {
            keep_trees = true;
        } else {
            roots.push(PathBuf::from(arg));
        }
    }
    if roots.is_empty() {
        eprintln!("usage: parse_floor [--keep-trees] DIR [DIR ...]");
        std::process::exit(2);
    }

    let files = Mutex::new(Vec::new());
    for root in &roots {
        let mut builder = WalkBuilder::new(root);
        builder.follow_links(false).hidden(true).git_ignore(true).require_git(false);
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                if let Ok(entry) = entry {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if is_file && entry.path().extension().and_then(|e| e.to_str()) == Some("py") {
                        files.lock().unwrap().push(entry.into_path());
                    }
                }
                WalkState::Continue
            })
        });
    }
    let files = files.into_inner().unwrap();

    let bytes = AtomicU64::new(0);
    let nodes = AtomicU64::new(0);
    let with_errors = AtomicU64::new(0);
    let unreadable = AtomicU64::new(0);
    let kept: Vec<Option<(Vec<u8>, Tree)>> = files
        .par_iter()
        .map(|path| {
            let Ok(source) = std::fs::read(path) else {
                unreadable.fetch_add(1, Ordering::Relaxed);
                return None;
            };
            bytes.fetch_add(source.len() as u64, Ordering::Relaxed);
            let tree = PARSER.with(|parser| parser.borrow_mut().parse(&source, None));
            let Some(tree) = tree else {
                with_errors.fetch_add(1, Ordering::Relaxed);
                return None;
            };
            if tree.root_node().has_error() {
                with_errors.fetch_add(1, Ordering::Relaxed);
            }
            nodes.fetch_add(count_nodes(&tree), Ordering::Relaxed);
            keep_trees.then_some((source, tree))
        })
        .collect();

    println!(
        "parse_floor: {} files, {} bytes, {} nodes, {} with syntax errors, {} unreadable",
        files.len(),
        bytes.into_inner(),
        nodes.into_inner(),
        with_errors.into_inner(),
        unreadable.into_inner()
    );
    if keep_trees {
        println!("parse_floor: kept {} trees until the end", kept.iter().flatten().count());
    }
}

/// Every node of the tree, by a cursor walk: touches the whole tree.
fn count_nodes(tree: &Tree) -> u64 {
    let mut count = 0u64;
    let mut cursor = tree.root_node().walk();
    loop {
        count += 1;
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                return count;
            }
            if cursor.goto_next_sibling() {
                break;
            }
        }
    }
}
