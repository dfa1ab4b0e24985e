//! What build is running, as `/healthz` and `odto_build_info` report it; the commit is set at
//! build time by `build.rs`.

/// The workspace version (every crate shares it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Short git commit of the build, `ODTO_BUILD_COMMIT` if set when building, or "unknown" when
/// built without git (a source tarball).
pub const COMMIT: &str = env!("ODTO_BUILD_COMMIT");
