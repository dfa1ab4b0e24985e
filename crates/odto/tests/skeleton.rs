//! Every service has the same shape, and every backend URL variable is declared once, so that a
//! reader who has learned one service knows them all (see ARCHITECTURE.md, "One shape").
//!
//! These read the source tree: a new service that skips a part of the skeleton, or a crate that
//! declares its own `ODTO_*_URL` flag instead of flattening `odto_settings`, fails here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The service crates (directory names under `crates/`).
const SERVICES: &[&str] = &[
    "gateway",
    "processor",
    "metrics-engine",
    "read-model",
    "web",
];

/// What `lib.rs` of every service declares, in this order of use.
const APPLICATION: &[&str] = &[
    "pub struct Application",
    "pub async fn build(",
    "pub async fn build_with(",
    "pub fn local_addr(",
    "pub async fn run_until_stopped(",
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/odto is inside crates/")
        .to_owned()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_service_has_the_skeleton() {
    let mut missing = Vec::new();
    for service in SERVICES {
        let src = crates_dir().join(service).join("src");
        for file in ["lib.rs", "config.rs", "error.rs"] {
            if !src.join(file).is_file() {
                missing.push(format!("{service}: src/{file}"));
            }
        }
        if !src.join("routes.rs").is_file() && !src.join("consumer.rs").is_file() {
            missing.push(format!("{service}: src/routes.rs or src/consumer.rs"));
        }
        let Ok(lib) = fs::read_to_string(src.join("lib.rs")) else {
            continue;
        };
        for item in APPLICATION {
            if !lib.contains(item) {
                missing.push(format!("{service}: `{item}` in src/lib.rs"));
            }
        }
        let backends = format!("pub struct {}Backends", backends_prefix(service));
        if !lib.contains(&backends) {
            missing.push(format!("{service}: `{backends}` in src/lib.rs"));
        }
        // The web terminal reaches the other services over HTTP only: it flattens their URLs.
        let config = read(&src.join("config.rs"));
        let shared = [
            "pub backends: BackendSettings",
            "pub read_model: ReadModelUrl",
        ];
        if !shared.iter().any(|field| config.contains(field)) {
            missing.push(format!(
                "{service}: src/config.rs flattens `odto_settings::BackendSettings` as `backends`"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "missing from the skeleton:\n{}",
        missing.join("\n")
    );
}

/// `Gateway`, `Processor`, `Engine`, `ReadModel`: the prefix of a service's backends struct.
fn backends_prefix(service: &str) -> String {
    match service {
        "metrics-engine" => "Engine".into(),
        other => other
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            })
            .collect(),
    }
}

#[test]
fn every_crate_with_an_application_is_a_listed_service() {
    let mut unlisted = Vec::new();
    for entry in fs::read_dir(crates_dir()).expect("crates/ is readable") {
        let dir = entry.expect("a directory entry").path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(lib) = fs::read_to_string(dir.join("src/lib.rs")) else {
            continue;
        };
        if lib.contains("pub struct Application") && !SERVICES.contains(&name.as_str()) {
            unlisted.push(name);
        }
    }
    assert!(
        unlisted.is_empty(),
        "services not held to the skeleton (add them to SERVICES): {unlisted:?}"
    );
}

#[test]
fn each_url_variable_is_declared_once_in_the_shared_settings() {
    let mut declared: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in rust_files(&crates_dir()) {
        let shown = file
            .strip_prefix(crates_dir())
            .unwrap()
            .display()
            .to_string();
        // Test helpers set these variables for child processes; they do not declare them.
        if shown.starts_with("test-support") || shown.contains("/tests/") {
            continue;
        }
        let text = read(&file);
        for (at, _) in text.match_indices("env = \"ODTO_") {
            let name: String = text[at + "env = \"".len()..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if name.ends_with("_URL") {
                declared.entry(name).or_default().push(shown.clone());
            }
        }
    }
    for name in [
        "ODTO_RABBITMQ_URL",
        "ODTO_RABBITMQ_MANAGEMENT_URL",
        "ODTO_POSTGRES_URL",
        "ODTO_REDIS_URL",
        "ODTO_GATEWAY_URL",
        "ODTO_READ_MODEL_URL",
    ] {
        assert!(declared.contains_key(name), "{name} is not declared at all");
    }
    let misplaced: Vec<String> = declared
        .iter()
        .filter(|(_, places)| places.len() > 1 || !places[0].starts_with("settings/"))
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(
        misplaced.is_empty(),
        "URL variables must be declared once, in crates/settings:\n{}",
        misplaced.join("\n")
    );
}
