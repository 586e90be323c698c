//! Ferry's core for Kotlin, Swift and Python.
//!
//! A thin layer: every exported method converts its arguments, calls
//! `ferry-core` and converts the answer. All work runs on one tokio runtime
//! owned by this library ([`runtime`]), so the foreign side may call from
//! any thread and await with its own executor (Kotlin coroutines, Swift
//! async, Python asyncio). Dropping an awaited call on the foreign side
//! (cancelling the coroutine or task) aborts the work in Rust.

use std::{future::Future, sync::OnceLock};

mod collections;
mod error;
mod events;
mod node;
mod types;

pub use collections::*;
pub use error::FerryError;
pub use events::*;
pub use node::*;
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

/// Runs `work` on [`runtime`] and waits for it. When the caller stops
/// waiting (the foreign side cancelled), the work is aborted.
pub(crate) async fn run<T, F>(work: F) -> Result<T, FerryError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, FerryError>> + Send + 'static,
{
    let handle = runtime().spawn(work);
    let _abort = AbortOnDrop(handle.abort_handle());
    match handle.await {
        Ok(result) => result,
        Err(e) if e.is_cancelled() => Err(FerryError::Cancelled("cancelled".into())),
        Err(e) => Err(FerryError::Internal(format!("the call failed: {e}"))),
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
