//! The signal that starts a graceful shutdown.

/// Completes when the process receives ctrl-c (SIGINT) or, on unix, SIGTERM (what `docker stop`
/// and Kubernetes send). Pass it to `axum::serve(..).with_graceful_shutdown(..)`.
///
/// If a handler cannot be installed that signal is ignored (and logged) rather than triggering
/// an immediate shutdown: a service that stops on start-up would be worse.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("received ctrl-c, shutting down"),
            Err(error) => {
                tracing::error!(%error, "cannot listen for ctrl-c");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate() => {},
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut stream) => {
            stream.recv().await;
            tracing::info!("received SIGTERM, shutting down");
        }
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

/// Serves `router` on `listener` in a task of its own until `stop` is cancelled, then finishes
/// the requests in progress. For services whose HTTP side (probes, metrics) runs next to their
/// real work.
pub fn spawn_server(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let server =
        axum::serve(listener, router).with_graceful_shutdown(async move { stop.cancelled().await });
    tokio::spawn(server.into_future())
}
