//! Property test over mutated fixture sources (proptest): the tool never
//! panics; for every input that parses, the output parses, byte-compiles, and a
//! second run changes nothing. `PROPTEST_CASES=5000 cargo test --test fuzz`
//! runs longer; CI runs the default, bounded number.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use proptest::prelude::*;
use voice_otel_fix::python::{parse, Selection};
use voice_otel_fix::{plan, Mode, Options};

fn sources() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![common::repo().join("fixtures")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("after") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "py") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push(text);
                }
            }
        }
    }
    out.sort();
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, &'static str),
    Delete(usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Dedent(usize),
}

const TOKENS: &[&str] = &[
    ":", "(", ")", "\n", "    ", "\t", "await ", "async ", "#", "\"\"\"", "'", "yield ", "return ", "pass\n", "\\\n",
    "ctx", ",", "\r\n", "é",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Mutation::Delete(at, n)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Dedent),
    ]
}

fn apply(source: &str, mutation: &Mutation) -> String {
    let boundary = |at: usize| {
        let mut at = at % (source.len() + 1);
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut lines: Vec<&str> = source.split_inclusive('\n').collect();
    match mutation {
        Mutation::Insert(at, token) => {
            let at = boundary(*at);
            format!("{}{token}{}", &source[..at], &source[at..])
        }
        Mutation::Delete(at, n) => {
            let start = boundary(*at);
            let end = boundary(start + n);
            format!("{}{}", &source[..start], &source[end.max(start)..])
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let i = i % lines.len();
            lines.insert(i, lines[i]);
            lines.concat()
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => {
            let (a, b) = (a % lines.len(), b % lines.len());
            lines.swap(a, b);
            lines.concat()
        }
        Mutation::Dedent(i) if !lines.is_empty() => {
            let i = i % lines.len();
            let trimmed = lines[i].strip_prefix("    ").unwrap_or(lines[i]).to_string();
            let mut owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            owned[i] = trimmed;
            owned.concat()
        }
        _ => source.to_string(),
    }
}

/// (input, output) pairs kept for the byte-compile check.
static OUTPUTS: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

fn check(source: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.py");
    std::fs::write(&path, source).unwrap();
    let planned = plan(&Options::new(vec![dir.path().to_path_buf()], Mode::DryRun));
    let Some(file) = planned.files.first() else { return Ok(()) };
    let result = file.instrument(Selection::All);
    if result.invalid_output.is_some() {
        // Kept for a person to look at: the input that made an invalid rewrite.
        let _ = std::fs::write(common::repo().join("target/fuzz-failure.py"), source);
    }
    prop_assert!(
        result.invalid_output.is_none(),
        "a rewrite that does not parse: {:?}",
        result.invalid_output.map(|e| e.message)
    );
    let Some(text) = result.text else { return Ok(()) };
    prop_assert!(parse::check_syntax(&text).is_ok());
    std::fs::write(&path, file.encode(&text)).unwrap();
    let again = plan(&Options::new(vec![dir.path().to_path_buf()], Mode::DryRun));
    let second = again.files.first().map(|f| f.instrument(Selection::All).text);
    prop_assert!(matches!(second, Some(None)), "a second run changes the output again");
    let keep = common::repo().join("target/fuzz-outputs");
    std::fs::create_dir_all(&keep).unwrap();
    let mut outputs = OUTPUTS.lock().unwrap();
    let input = keep.join(format!("in_{}.py", outputs.len()));
    let output = keep.join(format!("out_{}.py", outputs.len()));
    std::fs::write(&input, source).unwrap();
    std::fs::write(&output, file.encode(&text)).unwrap();
    outputs.push((input, output));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_sources_never_break_the_tool(index in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..4)) {
        let sources = sources();
        let mut source = sources[index % sources.len()].clone();
        for m in &mutations {
            source = apply(&source, m);
        }
        // Only inputs that parse are held to the output guarantees; the rest must merely not panic.
        check(&source)?;
    }
}

#[test]
fn every_fuzz_output_byte_compiles() {
    // Runs its own small batch, so it does not depend on test order.
    let sources = sources();
    for (i, source) in sources.iter().enumerate().step_by(7) {
        let mutated = apply(source, &Mutation::DuplicateLine(i * 31));
        check(&mutated).unwrap();
    }
    let pairs = OUTPUTS.lock().unwrap().clone();
    // An input CPython itself rejects (a repeated keyword argument, say) is not held to this.
    let script = "import sys\n\
                  def ok(f):\n    try:\n        compile(open(f, 'rb').read(), f, 'exec', dont_inherit=True)\n        return True\n    except SyntaxError:\n        return False\n\
                  args = sys.argv[1:]\n\
                  for i, o in zip(args[::2], args[1::2]):\n    if ok(i):\n        compile(open(o, 'rb').read(), o, 'exec', dont_inherit=True)\n";
    let compiled = Command::new(common::python())
        .args(["-c", script])
        .args(pairs.iter().flat_map(|(i, o)| [i, o]))
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{}", String::from_utf8_lossy(&compiled.stderr));
}
