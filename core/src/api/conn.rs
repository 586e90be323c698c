//! Serving connections: the API's own accept loop, so that another local
//! user who opens thousands of connections, or sends headers a byte at a
//! time, cannot starve the processes that hold the token.
//!
//! - Each listener serves at most [`MAX_CONNECTIONS`] connections at once.
//!   When it is full, a new connection takes the place of the oldest one
//!   that has not yet sent a request with the token; when every connection
//!   has, the new one is closed at once. A flood of connections thus only
//!   ever displaces connections of its own kind, and a token holder's
//!   connection, proven by its first request, is never displaced.
//! - A connection must deliver a request's headers within
//!   [`HEADER_READ_TIMEOUT`] of the server waiting for them: from when it
//!   is accepted, and again after each answer on a kept-alive connection.
//!   So the same limit closes idle kept-alive connections.
//! - When the process runs out of file descriptors, accepting evicts the
//!   oldest unproven connection instead of spinning.

use std::{
    collections::VecDeque,
    future::Future,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use hyper::{body::Incoming, service::Service as _};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// The most connections one listener serves at once. Two listeners (HTTP
/// and the socket) stay well below the 1024 file descriptors a process
/// gets by default, leaving the node its own.
pub const MAX_CONNECTIONS: usize = 256;

/// How long a connection may take to send a request's headers, counted
/// from when the server waits for them; also how long a kept-alive
/// connection may sit idle between requests.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long accepting pauses when the process has no file descriptor left.
const NO_FDS_PAUSE: Duration = Duration::from_millis(20);

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// TCP on a loopback address: any local user can connect.
    Tcp,
    /// The Unix socket in the data dir: its owner only.
    Unix,
}

/// What a request knows of its connection (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub transport: Transport,
    proven: Arc<AtomicBool>,
}

impl Conn {
    /// Marks the connection as a token holder's: it is never displaced.
    pub fn prove(&self) {
        self.proven.store(true, Ordering::Relaxed);
    }
}

/// A listener the accept loop can take connections from.
pub(crate) trait Accept: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl Future<Output = std::io::Result<Self::Io>> + Send;
}

impl Accept for tokio::net::TcpListener {
    type Io = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<Self::Io> {
        let (stream, _) = tokio::net::TcpListener::accept(self).await?;
        // Small JSON answers go out at once rather than waiting for more.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

#[cfg(unix)]
impl Accept for tokio::net::UnixListener {
    type Io = tokio::net::UnixStream;
    async fn accept(&self) -> std::io::Result<Self::Io> {
        Ok(tokio::net::UnixListener::accept(self).await?.0)
    }
}

/// One connection being served.
#[derive(Debug)]
struct Slot {
    id: u64,
    proven: Arc<AtomicBool>,
    evict: CancellationToken,
}

/// The connections of one listener, oldest first.
#[derive(Debug)]
struct Slots {
    cap: usize,
    state: Mutex<Admissions>,
}

/// What the lock of [`Slots`] guards.
#[derive(Debug, Default)]
struct Admissions {
    /// The id the last admitted connection got; ids grow with admission.
    last_id: u64,
    /// The connections being served, oldest (lowest id) first.
    open: VecDeque<Slot>,
}

impl Slots {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Admissions> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a new connection, displacing the oldest unproven one
    /// when full; None when every connection is a token holder's.
    fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut state = self.lock();
        let Admissions { last_id, open } = &mut *state;
        if open.len() >= self.cap && !evict_oldest_unproven(open) {
            return None;
        }
        *last_id += 1;
        let slot = Slot {
            id: *last_id,
            proven: Arc::default(),
            evict: CancellationToken::new(),
        };
        let admitted = Admitted {
            proven: slot.proven.clone(),
            evicted: slot.evict.clone(),
            release: Release {
                slots: self.clone(),
                id: slot.id,
            },
        };
        open.push_back(slot);
        Some(admitted)
    }

    /// Closes the oldest unproven connection; false if there is none.
    fn evict_one(&self) -> bool {
        evict_oldest_unproven(&mut self.lock().open)
    }

    fn release(&self, id: u64) {
        let open = &mut self.lock().open;
        // Ids grow in admission order, so the deque is sorted by id.
        if let Ok(at) = open.binary_search_by_key(&id, |s| s.id) {
            open.remove(at);
        }
    }
}

fn evict_oldest_unproven(slots: &mut VecDeque<Slot>) -> bool {
    let Some(at) = slots.iter().position(|s| !s.proven.load(Ordering::Relaxed)) else {
        return false;
    };
    if let Some(slot) = slots.remove(at) {
        slot.evict.cancel();
    }
    true
}

/// A connection's place; it is given back when the connection ends.
#[derive(Debug)]
struct Admitted {
    proven: Arc<AtomicBool>,
    evicted: CancellationToken,
    release: Release,
}

#[derive(Debug)]
struct Release {
    slots: Arc<Slots>,
    id: u64,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.slots.release(self.id);
    }
}

/// Serves `app` on `listener` until `stop`, then lets the connections
/// finish what they are answering.
pub(crate) async fn serve<L: Accept>(
    listener: L,
    app: axum::Router,
    transport: Transport,
    stop: CancellationToken,
) {
    let slots = Arc::new(Slots::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok(io) => match slots.admit() {
                    Some(admitted) => {
                        connections.spawn(serve_one(
                            io,
                            app.clone(),
                            transport,
                            admitted,
                            stop.clone(),
                        ));
                        // Lets the new connection, and any woken by data,
                        // read their requests before the next accept: a
                        // token holder's connection proves itself before a
                        // flood of accepts can displace it.
                        tokio::task::yield_now().await;
                    }
                    // Closed unanswered: every connection is a token holder's.
                    None => drop(io),
                },
                Err(e) if out_of_fds(&e) => {
                    if !slots.evict_one() {
                        warn!("the API cannot accept a connection: {e}");
                    }
                    tokio::time::sleep(NO_FDS_PAUSE).await;
                }
                // A connection that broke before it was accepted.
                Err(e) => debug!("the API could not accept a connection: {e}"),
            },
        }
    }
    while connections.join_next().await.is_some() {}
}

fn out_of_fds(e: &std::io::Error) -> bool {
    // EMFILE (24) and ENFILE (23) on Unix; the kinds have no stable name.
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(23 | 24))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

async fn serve_one<I>(
    io: I,
    app: axum::Router,
    transport: Transport,
    admitted: Admitted,
    stop: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Admitted {
        proven,
        evicted,
        release: _release,
    } = admitted;
    let conn = Conn { transport, proven };
    let app = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(conn.clone());
        app.call(request)
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let connection = http.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                debug!("an API connection ended: {e}");
            }
        }
        // Dropping the connection closes it.
        _ = evicted.cancelled() => {}
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_full_listener_displaces_the_oldest_unproven_connection_only() {
        let slots = Arc::new(Slots::new(3));
        let first = slots.admit().unwrap();
        let second = slots.admit().unwrap();
        let third = slots.admit().unwrap();
        first.proven.store(true, Ordering::Relaxed);

        let fourth = slots.admit().unwrap();
        assert!(!first.evicted.is_cancelled(), "a token holder stays");
        assert!(second.evicted.is_cancelled(), "the oldest unproven goes");
        assert!(!third.evicted.is_cancelled());
        drop(second);
        assert_eq!(slots.lock().open.len(), 3);

        third.proven.store(true, Ordering::Relaxed);
        fourth.proven.store(true, Ordering::Relaxed);
        assert!(slots.admit().is_none(), "all are token holders: refused");
        drop(fourth);
        assert!(slots.admit().is_some(), "a place freed is taken");
    }
}
