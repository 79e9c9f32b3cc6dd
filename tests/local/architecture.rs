//! The layer map in ARCHITECTURE.md is the truth about dependencies: every `crate::` path in
//! a module's non-test code names a module in a lower layer.

use std::collections::BTreeMap;
use std::path::Path;

/// `module -> layer`, read from the ` ```text ` block of "## Layers" in ARCHITECTURE.md.
fn layers(root: &Path) -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let section = doc.split("## Layers").nth(1).expect("a Layers section");
    let block = section
        .split("```text")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let mut map = BTreeMap::new();
    for line in block.lines().filter(|l| l.starts_with("layer ")) {
        let (head, modules) = line.split_once(':').unwrap();
        let layer: usize = head.trim_start_matches("layer ").trim().parse().unwrap();
        for module in modules.split_whitespace() {
            assert!(
                map.insert(module.to_string(), layer).is_none(),
                "{module} twice"
            );
        }
    }
    map
}

/// The code of a file without its test module (everything from the first `#[cfg(test)]`).
fn non_test_code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// Every top-level module a piece of code names through `crate::` (also inside
/// `use crate::{a, b::c}` groups).
fn used_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                out.push(first_segment(item.trim()));
            }
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn first_segment(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level module a source file belongs to (`src/agenda/plan.rs` -> `agenda`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_one_in_its_own_layer_or_above() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layers = layers(root);
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        // A file that is only tests (`foo/tests.rs`) may use anything.
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let own = *layers
            .get(&module)
            .unwrap_or_else(|| panic!("module {module} is not in ARCHITECTURE.md's layers"));
        let text = std::fs::read_to_string(file).unwrap();
        for used in used_modules(non_test_code(&text)) {
            if used == module {
                continue;
            }
            let theirs = *layers.get(&used).unwrap_or_else(|| {
                panic!("{} uses crate::{used}, not in the layers", file.display())
            });
            if theirs >= own {
                wrong.push(format!(
                    "{} (layer {own}) uses {used} (layer {theirs})",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "imports against the layer map:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let code = "use crate::{agenda::{self, plan}, cadence};\nfn f() { crate::history::x(); }\n// crate::cli in a comment\n";
    assert_eq!(used_modules(code), ["agenda", "cadence", "history"]);
}
