//! The git commit every service reports in `odto_build_info`. Works from a fresh clone, from a
//! source tarball (no `.git`) and on machines without git: the commit is then "unknown", or
//! whatever `ODTO_BUILD_COMMIT` says (for packagers).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ODTO_BUILD_COMMIT");
    let commit = std::env::var("ODTO_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=ODTO_BUILD_COMMIT={}", commit.trim());
    watch_head();
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// Reruns this script when the checked-out commit changes (a new commit moves the branch ref, a
/// checkout moves HEAD). Files that do not exist are not watched: cargo would rerun the script
/// on every build.
fn watch_head() {
    let mut watched = vec![git_path("HEAD"), git_path("packed-refs")];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git_path(&branch));
    }
    for path in watched.into_iter().flatten().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git_path(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(git(&["rev-parse", "--git-path", name])?);
    Some(match path.is_absolute() {
        true => path,
        false => Path::new(env!("CARGO_MANIFEST_DIR")).join(path),
    })
}
