//! What `--version` says, set at build time by `build.rs`.

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Short git commit of the build, or "unknown" when built without git.
pub const COMMIT: &str = env!("ODD_DASHBOARD_COMMIT");
/// UTC date of the build (or of `SOURCE_DATE_EPOCH`), YYYY-MM-DD.
pub const BUILD_DATE: &str = env!("ODD_DASHBOARD_BUILD_DATE");
/// `0.1.0 (commit 1a2b3c4d5e6f, built 2025-01-01)`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ODD_DASHBOARD_COMMIT"),
    ", built ",
    env!("ODD_DASHBOARD_BUILD_DATE"),
    ")"
);
