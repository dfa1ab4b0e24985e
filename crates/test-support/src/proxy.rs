//! A TCP proxy a test can cut and restore, to take a backend away from one service without
//! stopping the shared server other tests use.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards connections from a local port to `upstream` until cut.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    acceptor: AbortHandle,
}

#[derive(Debug, Default)]
struct ProxyState {
    cut: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
}

impl TcpProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) in front of `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy port");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(ProxyState::default());
        let acceptor = tokio::spawn(accept_loop(listener, upstream.to_owned(), state.clone()));
        Self {
            addr,
            state,
            acceptor: acceptor.abort_handle(),
        }
    }

    /// Where clients should connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every open connection and refuses new ones, like a network partition.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for connection in self.state.connections.lock().expect("proxy lock").drain(..) {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.acceptor.abort();
    }
}

async fn accept_loop(listener: TcpListener, upstream: String, state: Arc<ProxyState>) {
    while let Ok((mut client, _)) = listener.accept().await {
        if state.cut.load(Ordering::SeqCst) {
            continue; // dropping the socket closes it: a refused connection
        }
        let upstream = upstream.clone();
        let task = tokio::spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
        state
            .connections
            .lock()
            .expect("proxy lock")
            .push(task.abort_handle());
    }
}
