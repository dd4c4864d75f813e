//! `nudge plugin new`: a standalone policy crate that builds and passes its
//! own tests as generated.
//!
//! The files come from `host/cli/templates/policy/`, with `{{name}}`, `{{sdk}}`
//! (the SDK path as a TOML string) and `{{sdk_display}}` filled in. The
//! nudge checkout's `Cargo.lock` is copied beside them when the SDK sits in
//! one, so the crate builds with the dependency versions nudge is tested with.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};

/// The files of a new crate: path inside it, template.
const FILES: [(&str, &str); 5] = [
    ("Cargo.toml", include_str!("../../templates/policy/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("../../templates/policy/lib.rs")),
    ("src/steps.rs", include_str!("../../templates/policy/steps.rs")),
    ("README.md", include_str!("../../templates/policy/README.md")),
    (".gitignore", include_str!("../../templates/policy/gitignore")),
];

/// Names a crate cannot take: they clash with the standard library, the SDK
/// or cargo's own targets.
const RESERVED: [&str; 9] = ["std", "core", "alloc", "proc_macro", "test", "build", "deps", "nudge_sdk", "nudge-sdk"];

/// Rust's keywords, which cannot name a crate.
const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "gen",
];

/// Checks a crate name: lower-case ASCII letters, digits, `-` and `_`,
/// starting with a letter, at most 64 characters, not a keyword or reserved.
pub fn check_name(name: &str) -> Result<()> {
    let shape = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !shape {
        bail!(
            "{name:?} is not a usable crate name: use lower-case letters, digits, `-` and `_`, \
             starting with a letter, at most 64 characters (for example my-policy)"
        );
    }
    let ident = name.replace('-', "_");
    if KEYWORDS.contains(&ident.as_str()) || RESERVED.contains(&name) || RESERVED.contains(&ident.as_str()) {
        bail!("{name:?} is reserved (a Rust keyword, a standard crate or the SDK); choose another name");
    }
    Ok(())
}

/// The SDK to depend on: `given`, or the checkout's `sdk/`; canonical, and
/// checked to be the nudge-sdk crate.
pub fn sdk_path(given: Option<&Path>) -> Result<PathBuf> {
    let (path, origin) = match given {
        Some(p) => (p.to_path_buf(), "--sdk"),
        None => (PathBuf::from(super::DEFAULT_SDK), "the nudge checkout this binary was built from"),
    };
    let canonical = fs::canonicalize(&path).with_context(|| {
        format!(
            "the SDK directory {} (from {origin}) does not exist; pass --sdk PATH to the nudge checkout's sdk/",
            path.display()
        )
    })?;
    let manifest = canonical.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap_or_default();
    let is_sdk = text.lines().any(|l| {
        let l = l.trim();
        l.starts_with("name") && l.split_once('=').is_some_and(|(_, v)| v.trim() == "\"nudge-sdk\"")
    });
    if !is_sdk {
        bail!(
            "{} (from {origin}) is not the nudge SDK: it has no Cargo.toml of the package nudge-sdk; \
             pass --sdk PATH to the sdk/ directory of a nudge checkout",
            canonical.display()
        );
    }
    Ok(canonical)
}

/// Writes a new policy crate called `name` into `dir`, depending on the SDK
/// at `sdk`. Returns the files written, relative to `dir`.
pub fn create(name: &str, dir: &Path, sdk: &Path) -> Result<Vec<String>> {
    check_name(name)?;
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory; choose another --dir", dir.display());
        }
        if fs::read_dir(dir)?.next().is_some() {
            bail!("{} exists and is not empty; choose another --dir or remove it", dir.display());
        }
    }
    let sdk_text = sdk.to_str().with_context(|| format!("the SDK path {} is not UTF-8", sdk.display()))?;
    let toml_string = sdk_text.replace('\\', "\\\\").replace('"', "\\\"");
    let mut written = Vec::new();
    for (file, template) in FILES {
        let text =
            template.replace("{{name}}", name).replace("{{sdk_display}}", sdk_text).replace("{{sdk}}", &toml_string);
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(file.to_string());
    }
    // The checkout's lock file pins the versions nudge is tested with (and
    // lets the first build work offline); cargo keeps only what the crate uses.
    if let Some(lock) = sdk.parent().map(|checkout| checkout.join("Cargo.lock")).filter(|lock| lock.is_file()) {
        fs::copy(&lock, dir.join("Cargo.lock")).with_context(|| format!("copying {}", lock.display()))?;
        written.push("Cargo.lock".to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_checked_with_a_reason() {
        for good in ["my-policy", "p2", "late_payers"] {
            check_name(good).unwrap();
        }
        for bad in ["", "My-Policy", "2fast", "-x", "has space", "ünï", &"x".repeat(65)] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(err.contains("not a usable crate name"), "{bad}: {err}");
        }
        for reserved in ["std", "test", "nudge-sdk", "fn", "self"] {
            let err = check_name(reserved).unwrap_err().to_string();
            assert!(err.contains("reserved") || err.contains("not a usable"), "{reserved}: {err}");
        }
    }

    #[test]
    fn the_default_sdk_is_this_checkout_s_and_a_wrong_one_is_refused() {
        let sdk = sdk_path(None).unwrap();
        assert!(sdk.is_absolute() && sdk.ends_with("sdk"), "{}", sdk.display());
        let dir = tempfile::tempdir().unwrap();
        let err = sdk_path(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("is not the nudge SDK"), "{err}");
        let err = sdk_path(Some(&dir.path().join("missing"))).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_crate_is_written_with_its_own_workspace_and_the_sdk_path() {
        let dir = tempfile::tempdir().unwrap();
        let sdk = sdk_path(None).unwrap();
        let target = dir.path().join("late-payers");
        let files = create("late-payers", &target, &sdk).unwrap();
        assert_eq!(files, ["Cargo.toml", "src/lib.rs", "src/steps.rs", "README.md", ".gitignore", "Cargo.lock"]);
        let manifest = fs::read_to_string(target.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"late-payers\""), "{manifest}");
        assert!(manifest.contains(&format!("nudge-sdk = {{ path = \"{}\" }}", sdk.display())), "{manifest}");
        assert!(manifest.lines().any(|l| l == "[workspace]"), "{manifest}");
        assert!(manifest.contains(r#"crate-type = ["cdylib", "rlib"]"#), "{manifest}");
        let lib = fs::read_to_string(target.join("src/lib.rs")).unwrap();
        assert!(lib.contains("PolicyInfo::new(\"late-payers\"") && !lib.contains("{{"), "{lib}");

        let err = create("late-payers", &target, &sdk).unwrap_err().to_string();
        assert!(err.contains("exists and is not empty"), "{err}");
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(create("x", &file, &sdk).unwrap_err().to_string().contains("is not a directory"));
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        create("x", &empty, &sdk).unwrap();
        assert!(create("Bad Name", &dir.path().join("n"), &sdk).is_err());
        assert!(!dir.path().join("n").exists(), "nothing is written for a bad name");
    }

    #[test]
    fn quotes_and_backslashes_in_the_sdk_path_stay_valid_toml() {
        let dir = tempfile::tempdir().unwrap();
        create("p", &dir.path().join("p"), Path::new(r#"/odd "dir"\sdk"#)).unwrap();
        let manifest = fs::read_to_string(dir.path().join("p/Cargo.toml")).unwrap();
        assert!(manifest.contains(r#"path = "/odd \"dir\"\\sdk""#), "{manifest}");
    }
}
