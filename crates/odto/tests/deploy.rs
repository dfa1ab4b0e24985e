//! The alerting of `deploy/prometheus` holds together: every alert has its labels, annotations and
//! a runbook in `docs/runbooks/`, every runbook belongs to an alert, promtool accepts the files and
//! their unit tests pass (each alert both fires and stays silent in some test), and every metric a
//! rule reads is one the services really export (scraped from a real `odto up`).
//!
//! The rule files are read with a line scanner, not a YAML parser (the workspace has none): it
//! understands the layout the rule files use (`- alert:`/`- record:` items with `expr`, `labels`
//! and `annotations`, scalars plain or double-quoted, `expr` inline or as a `|` block), which is
//! enough because promtool checks the real YAML.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Every `runbook_url` is this followed by the runbook's file name (`<alertname>.md`).
const RUNBOOK_BASE: &str = "https://github.com/oddessentials/odto/blob/main/docs/runbooks/";

const SEVERITIES: &[&str] = &["page", "ticket", "none"];

const ANNOTATIONS: &[&str] = &["summary", "description", "runbook_url"];

const RUNBOOK_SECTIONS: &[&str] = &["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"];

/// The one alert that cannot be silent: it always fires, by design.
const ALWAYS_FIRING: &str = "Watchdog";

/// Metrics the rules read that no service exports yet, each with what it is and where it goes.
/// `every_metric_a_rule_reads_is_exported_by_a_running_stack` fails as soon as one is exported or
/// no longer read by a rule, so this list cannot go stale: remove the entry then.
const NOT_YET_EXPORTED: &[(&str, &str)] = &[];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Alert,
    Record,
}

#[derive(Debug)]
struct Rule {
    kind: Kind,
    name: String,
    file: String,
    expr: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/odto is two levels below the workspace root")
        .to_owned()
}

fn prometheus_dir() -> PathBuf {
    repo().join("deploy/prometheus")
}

/// The `.yml` files of `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .yml files in {}", dir.display());
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A YAML scalar as the rule files write them: plain, or in double quotes with `\"` and `\\`.
fn scalar(raw: &str) -> String {
    let raw = raw.trim();
    match raw
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => raw.to_owned(),
    }
}

/// Which part of a rule the scanner is in.
#[derive(PartialEq)]
enum Section {
    None,
    ExprBlock,
    Labels,
    Annotations,
}

impl Rule {
    /// A line inside `section` of this rule: a line of its `expr` block, or a label or annotation.
    fn add_nested(&mut self, section: &Section, line: &str) {
        let map = match section {
            Section::ExprBlock => {
                self.expr.push_str(line);
                self.expr.push('\n');
                return;
            }
            Section::Labels => &mut self.labels,
            Section::Annotations => &mut self.annotations,
            Section::None => panic!("{}: unexpected nested line: {line}", self.file),
        };
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{}: expected `key: value`: {line}", self.file));
        map.insert(key.trim().to_owned(), scalar(value));
    }
}

fn parse_rules(path: &Path) -> Vec<Rule> {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut rules: Vec<Rule> = Vec::new();
    let mut key_indent = 0;
    let mut section = Section::None;
    for line in read(path).lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || (trimmed.starts_with('#') && section != Section::ExprBlock) {
            continue;
        }
        let start = [("- alert:", Kind::Alert), ("- record:", Kind::Record)]
            .into_iter()
            .find_map(|(prefix, kind)| trimmed.strip_prefix(prefix).map(|name| (kind, name)));
        if let Some((kind, name)) = start {
            key_indent = indent(line) + 2;
            section = Section::None;
            rules.push(Rule {
                kind,
                name: scalar(name),
                file: file.clone(),
                expr: String::new(),
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            });
            continue;
        }
        let Some(rule) = rules.last_mut() else {
            continue;
        };
        if indent(line) < key_indent {
            section = Section::None; // past the rule: the next group, or the end of `rules`
            key_indent = usize::MAX;
            continue;
        }
        if indent(line) > key_indent {
            rule.add_nested(&section, trimmed);
            continue;
        }
        let (key, value) = trimmed.split_once(':').unwrap_or((trimmed, ""));
        section = match (key, value.trim()) {
            ("expr", "|" | "|-" | ">" | ">-") => Section::ExprBlock,
            ("expr", inline) => {
                rule.expr = scalar(inline);
                Section::None
            }
            ("labels", "") => Section::Labels,
            ("annotations", "") => Section::Annotations,
            _ => Section::None,
        };
    }
    rules
}

fn all_rules() -> Vec<Rule> {
    let rules: Vec<Rule> = yaml_files(&prometheus_dir().join("rules"))
        .iter()
        .flat_map(|path| parse_rules(path))
        .collect();
    assert!(
        rules.iter().any(|rule| rule.kind == Kind::Alert),
        "the scanner found no alert at all: {rules:#?}"
    );
    rules
}

fn alerts() -> Vec<Rule> {
    all_rules()
        .into_iter()
        .filter(|rule| rule.kind == Kind::Alert)
        .collect()
}

#[test]
fn every_alert_has_a_severity_a_summary_a_description_and_a_runbook() {
    let mut problems = Vec::new();
    for alert in alerts() {
        let where_ = format!("{} ({})", alert.name, alert.file);
        match alert.labels.get("severity") {
            Some(severity) if SEVERITIES.contains(&severity.as_str()) => {}
            other => problems.push(format!(
                "{where_}: severity {other:?}, not one of {SEVERITIES:?}"
            )),
        }
        for annotation in ANNOTATIONS {
            if alert
                .annotations
                .get(*annotation)
                .is_none_or(|text| text.is_empty())
            {
                problems.push(format!("{where_}: no `{annotation}` annotation"));
            }
        }
        if alert.expr.trim().is_empty() {
            problems.push(format!("{where_}: no expr"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_runbook_url_names_the_alerts_own_runbook_and_every_runbook_is_used() {
    let runbooks = repo().join("docs/runbooks");
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for alert in alerts() {
        let url = alert
            .annotations
            .get("runbook_url")
            .cloned()
            .unwrap_or_default();
        let expected = format!("{RUNBOOK_BASE}{}.md", alert.name);
        if url != expected {
            problems.push(format!(
                "{}: runbook_url {url:?}, expected {expected:?}",
                alert.name
            ));
        }
        let file = format!("{}.md", alert.name);
        if !runbooks.join(&file).is_file() {
            problems.push(format!(
                "{}: docs/runbooks/{file} does not exist",
                alert.name
            ));
        }
        used.insert(file);
    }
    for entry in fs::read_dir(&runbooks).expect("docs/runbooks exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        // README.md is the index of the runbooks, not one of them.
        if name != "README.md" && !used.contains(&name) {
            problems.push(format!("docs/runbooks/{name} belongs to no alert"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_runbook_has_meaning_impact_diagnosis_and_mitigation() {
    let mut problems = Vec::new();
    for alert in alerts() {
        let path = repo().join(format!("docs/runbooks/{}.md", alert.name));
        let Ok(text) = fs::read_to_string(&path) else {
            continue; // reported by the runbook_url test
        };
        if !text.starts_with(&format!("# {}\n", alert.name)) {
            problems.push(format!(
                "{}: the runbook's title is not `# {}`",
                path.display(),
                alert.name
            ));
        }
        for section in RUNBOOK_SECTIONS {
            if !text.lines().any(|line| line == *section) {
                problems.push(format!("{}: no `{section}` section", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// For each alert named in the promtool tests: (fires in some case, silent in some case).
fn test_coverage() -> BTreeMap<String, (bool, bool)> {
    let mut coverage: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for path in yaml_files(&prometheus_dir().join("tests")) {
        let text = read(&path);
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        while let Some(line) = lines.next() {
            let Some(name) = line.strip_prefix("alertname:") else {
                continue;
            };
            let entry = coverage.entry(scalar(name)).or_default();
            match lines.next() {
                Some("exp_alerts: []") => entry.1 = true,
                Some("exp_alerts:") => entry.0 = true,
                other => panic!(
                    "{}: `alertname: {name}` followed by {other:?}",
                    path.display()
                ),
            }
        }
    }
    coverage
}

#[test]
fn every_alert_fires_in_a_promtool_test_and_stays_silent_in_another() {
    let coverage = test_coverage();
    let mut problems = Vec::new();
    for alert in alerts() {
        let (fires, silent) = coverage.get(&alert.name).copied().unwrap_or_default();
        if !fires {
            problems.push(format!(
                "{}: no promtool test in which it fires",
                alert.name
            ));
        }
        if !silent && alert.name != ALWAYS_FIRING {
            problems.push(format!(
                "{}: no promtool test in which it stays silent",
                alert.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn promtool() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|candidate| candidate.is_file())
}

/// Runs promtool with `args` in deploy/prometheus and returns its output; panics with it when
/// promtool fails.
fn run_promtool(promtool: &Path, args: &[&str]) -> String {
    let output = Command::new(promtool)
        .args(args)
        .current_dir(prometheus_dir())
        .output()
        .expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn names(dir: &str) -> Vec<String> {
    yaml_files(&prometheus_dir().join(dir))
        .iter()
        .map(|path| format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect()
}

#[test]
fn promtool_accepts_the_config_and_rules_and_their_unit_tests_pass() {
    let Some(promtool) = promtool() else {
        let advice = "promtool is not installed (Debian/Ubuntu: apt-get install prometheus)";
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("{advice}; CI=true, so this test fails instead of skipping");
        }
        eprintln!(
            "SKIPPED promtool_accepts_the_config_and_rules_and_their_unit_tests_pass: {advice}"
        );
        return;
    };
    let rules = names("rules");
    let tests = names("tests");
    let args = |command: &[&'static str], files: &[String]| -> Vec<String> {
        command
            .iter()
            .map(|s| (*s).to_owned())
            .chain(files.iter().cloned())
            .collect()
    };
    for command in [
        args(&["check", "rules"], &rules),
        args(&["check", "config"], &["prometheus.yml".to_owned()]),
        args(&["test", "rules"], &tests),
    ] {
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        run_promtool(&promtool, &command);
    }
    // The other tests trust the line scanner: it must see as many rules as promtool does.
    for file in &rules {
        let output = run_promtool(&promtool, &["check", "rules", file]);
        let scanned = parse_rules(&prometheus_dir().join(file)).len();
        let expected = format!("SUCCESS: {scanned} rules found");
        assert!(
            output.contains(&expected),
            "{file}: the scanner found {scanned} rules, promtool: {output}"
        );
    }
}

/// The metric names an expression reads: identifiers starting `odto_` or `process_`, outside
/// quoted strings, with the histogram suffixes removed. (`odto:` names are recording rules.)
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut unquoted = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in expr.chars() {
        match (in_string, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, _, _) => escaped = false,
            (false, _, '"') => in_string = true,
            (false, _, c) => unquoted.push(c),
        }
    }
    unquoted
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|token| token.starts_with("odto_") || token.starts_with("process_"))
        .map(|token| histogram_base(token).to_owned())
        .collect()
}

fn histogram_base(name: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

fn names_used_by_rules() -> BTreeMap<String, String> {
    let mut used = BTreeMap::new();
    for rule in all_rules() {
        for name in metric_names(&rule.expr) {
            used.entry(name).or_insert_with(|| rule.name.clone());
        }
    }
    used
}

/// `odto up` on embedded backends with every port chosen by the system; killed when dropped.
struct Stack {
    child: Child,
    /// The base URL of each service's `/metrics` (gateway, read model, processor, metrics engine).
    metrics: Vec<String>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_stack(data_dir: &Path) -> Stack {
    let mut command = Command::new(env!("CARGO_BIN_EXE_odto"));
    command
        .args(["up", "--no-dashboard", "--no-web", "--data-dir"])
        .arg(data_dir);
    for flag in [
        "--gateway-listen",
        "--read-model-listen",
        "--processor-listen",
        "--metrics-engine-listen",
    ] {
        command.args([flag, "127.0.0.1:0"]);
    }
    for var in [
        "ODTO_RABBITMQ_URL",
        "ODTO_POSTGRES_URL",
        "ODTO_REDIS_URL",
        "ODTO_OBSERVABILITY",
    ] {
        command.env_remove(var);
    }
    command
        .env("ODTO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("odto up starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut stack = Stack {
        child,
        metrics: Vec::new(),
    };
    let (lines, output) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while stack.metrics.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = output
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("odto up did not report its addresses: {seen:#?}"));
        let service = ["gateway", "read model", "processor", "metrics engine"]
            .iter()
            .find_map(|name| line.trim_start().strip_prefix(name));
        if let Some(url) = service
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|url| url.starts_with("http://"))
        {
            stack
                .metrics
                .push(format!("{}/metrics", url.trim_end_matches("/metrics")));
        }
        seen.push(line);
    }
    stack
}

/// Every metric name in a text exposition, histogram suffixes removed.
fn exported_names(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(|name| histogram_base(name).to_owned())
        .collect()
}

async fn scrape_running_stack() -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let stack = start_stack(dir.path());
    let client = reqwest::Client::new();
    let mut exported = BTreeSet::new();
    for url in &stack.metrics {
        let response = client
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        exported.extend(exported_names(&response.text().await.unwrap()));
    }
    exported
}

#[tokio::test]
async fn every_metric_a_rule_reads_is_exported_by_a_running_stack() {
    let exported = scrape_running_stack().await;
    let allowed: BTreeSet<&str> = NOT_YET_EXPORTED.iter().map(|(name, _)| *name).collect();

    let missing: Vec<String> = names_used_by_rules()
        .into_iter()
        .filter(|(name, _)| !exported.contains(name) && !allowed.contains(name.as_str()))
        .map(|(name, rule)| format!("{name} (read by {rule})"))
        .collect();
    let used = names_used_by_rules();
    let stale: Vec<&str> = allowed
        .iter()
        .filter(|name| exported.contains(**name) || !used.contains_key(**name))
        .copied()
        .collect();

    assert!(
        missing.is_empty(),
        "rules read metrics no service exports (an alert on them could never fire):\n{}",
        missing.join("\n")
    );
    assert!(
        stale.is_empty(),
        "exported now, or read by no rule: remove from NOT_YET_EXPORTED: {stale:?}"
    );
}

#[test]
fn the_metric_name_scanner_skips_strings_recording_rules_and_histogram_suffixes() {
    let expr = r#"sum(rate(odto_processor_queue_wait_seconds_bucket{queue="odto_x"}[5m]))
        / odto:ratio:rate5m or changes(process_start_time_seconds[30m])"#;

    let names = metric_names(expr);

    let expected: BTreeSet<String> = [
        "odto_processor_queue_wait_seconds",
        "process_start_time_seconds",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(names, expected);
}
