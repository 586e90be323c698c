//! Ferry's core for Kotlin, Swift and Python.
//!
//! A thin layer: every exported method converts its arguments, calls
//! `ferry-core` and converts the answer. All work runs on one tokio runtime
//! owned by this library ([`runtime`]), so the foreign side may call from
//! any thread and await with its own executor (Kotlin coroutines, Swift
//! async, Python asyncio). Dropping an awaited call on the foreign side
//! (cancelling the coroutine or task) aborts the work in Rust.

use std::{future::Future, sync::OnceLock};

mod checks;
mod collections;
mod doctor;
mod error;
mod events;
mod node;
mod push;
mod types;

pub use checks::*;
pub use collections::*;
pub use doctor::*;
pub use error::FerryError;
pub use events::*;
pub use node::*;
pub use push::*;
pub use types::*;

uniffi::setup_scaffolding!();

/// The runtime every call runs on, started on first use.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("ferry")
            .build()
        {
            Ok(rt) => rt,
            // Without threads nothing can work; there is no caller to tell.
            Err(e) => panic!("cannot start Ferry's runtime: {e}"),
        }
    })
}

/// Runs `work` on [`runtime`] and waits for it.
///
/// When the caller stops waiting (the foreign side cancelled its coroutine
/// or task), the work is aborted, and this returns only once it has
/// stopped (at most a few seconds): a cancelled receive has recorded its
/// end in the history and will not publish another file.
pub(crate) async fn run<T, F>(work: F) -> Result<T, FerryError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, FerryError>> + Send + 'static,
{
    let (stopped_tx, stopped_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let handle = runtime().spawn(Guarded {
        work: Box::pin(work),
        _stopped: Stopped(stopped_tx),
    });
    let mut cancel = CancelOnDrop {
        abort: handle.abort_handle(),
        stopped: Some(stopped_rx),
    };
    let result = handle.await;
    cancel.stopped = None;
    match result {
        Ok(result) => result,
        Err(e) if e.is_cancelled() => Err(FerryError::Cancelled("cancelled".into())),
        Err(e) => Err(FerryError::Internal(format!("the call failed: {e}"))),
    }
}

/// How long a cancelled call waits for its work to stop.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A future that signals when it is dropped, after the work inside it.
struct Guarded<T> {
    // Fields drop in order: the work first, then the signal.
    work: std::pin::Pin<Box<dyn Future<Output = T> + Send>>,
    _stopped: Stopped,
}

impl<T> Future for Guarded<T> {
    type Output = T;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        self.work.as_mut().poll(cx)
    }
}

/// Sends one message when dropped.
struct Stopped(std::sync::mpsc::SyncSender<()>);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.try_send(());
    }
}

/// Aborts the work of a [`run`] that was given up, and waits for it to stop.
struct CancelOnDrop {
    abort: tokio::task::AbortHandle,
    stopped: Option<std::sync::mpsc::Receiver<()>>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(stopped) = self.stopped.take() {
            self.abort.abort();
            let _ = stopped.recv_timeout(STOP_WAIT);
        }
    }
}

/// Aborts a spawned task when dropped.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::{
        future::Future,
        pin::pin,
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        task::{Context, Waker},
        time::Duration,
    };

    use ferry_core::ErrorKind;

    use super::{FerryError, run};

    /// Sets its flag when dropped.
    struct Flag(Arc<AtomicBool>);

    impl Drop for Flag {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(50));
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_cancelled_call_returns_only_after_its_work_has_stopped() {
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = Flag(stopped.clone());
        let call = run(async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        {
            let mut call = pin!(call);
            let mut cx = Context::from_waker(Waker::noop());
            assert!(call.as_mut().poll(&mut cx).is_pending());
            // The foreign side gives up here: the future is dropped.
        }
        assert!(stopped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_finished_call_answers_with_its_result() {
        let call =
            run(async { Err::<(), _>(FerryError::of(ErrorKind::NotFound, "no such device")) });
        let result = super::runtime().block_on(call);
        match result {
            Err(FerryError::NotFound(message)) => assert_eq!(message, "no such device"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn every_kind_has_its_own_variant() {
        let kinds = [
            ErrorKind::InvalidInput,
            ErrorKind::NotFound,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Cancelled,
            ErrorKind::Rejected,
            ErrorKind::Storage,
            ErrorKind::Protocol,
            ErrorKind::Internal,
            ErrorKind::Offline,
        ];
        let names: std::collections::HashSet<String> = kinds
            .iter()
            .map(|k| {
                let e = FerryError::of(*k, "x");
                format!("{e:?}")
                    .split('(')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(names.len(), kinds.len());
    }
}
