//! The callbacks registered with `onProgressUpdate` / `onHeadersReceived`: weak threadsafe
//! functions (they never keep the event loop alive), called from the upload's tokio tasks.
//! This is where the order of delivery is kept (docs/API.md §4, §5): the final progress event
//! has run in JavaScript before the headers event goes out, and the headers event before the
//! upload settles.

use std::sync::Mutex;

use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::Status;
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::progress::{ProgressEvent, ProgressSink, ProgressUpdate};
use crate::warning::callback_threw;

/// The payload of `onHeadersReceived`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct HeadersEvent {
    /// Response headers, lower-case names, in the style of Node's `IncomingMessage.headers`.
    pub header: serde_json::Value,
}

/// A JavaScript listener for events of type `E`, as a weak threadsafe function.
pub type Listener<E> = ThreadsafeFunction<E, UnknownReturnValue, E, Status, false, true>;

/// The listeners of one kind, each with the id `on*` returned for it.
struct ListenerList<E: napi::bindgen_prelude::ToNapiValue + 'static> {
    /// How a warning names a listener of this kind that threw.
    source: &'static str,
    next_id: u32,
    entries: Vec<(u32, Listener<E>)>,
    closed: bool,
}

impl<E: Clone + napi::bindgen_prelude::ToNapiValue + 'static> ListenerList<E> {
    fn new(source: &'static str) -> Self {
        ListenerList {
            source,
            next_id: 1,
            entries: Vec::new(),
            closed: false,
        }
    }

    /// Appends a listener and returns its id; after settlement the listener is dropped unused.
    fn add(&mut self, listener: Listener<E>) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        if !self.closed {
            self.entries.push((id, listener));
        }
        id
    }

    /// Removes the listener with this id, or all of them when `id` is `None`.
    fn remove(&mut self, id: Option<u32>) {
        match id {
            Some(id) => self.entries.retain(|(i, _)| *i != id),
            None => self.entries.clear(),
        }
    }

    /// Queues `event` to every listener; each returned receiver completes once its listener ran
    /// (or can no longer run).
    fn emit(&self, event: &E) -> Vec<oneshot::Receiver<()>> {
        let mut acks = Vec::with_capacity(self.entries.len());
        let source = self.source;
        for (_, listener) in &self.entries {
            let (done, ack) = oneshot::channel();
            listener.call_with_return_value(
                event.clone(),
                ThreadsafeFunctionCallMode::NonBlocking,
                move |result, env| {
                    if let Err(err) = result {
                        callback_threw(&env, source, &err.reason);
                    }
                    let _ = done.send(());
                    Ok(())
                },
            );
            acks.push(ack);
        }
        acks
    }

    fn close(&mut self) {
        self.closed = true;
        self.entries.clear();
    }
}

/// Every listener of one task, and the deliveries still in flight that must land before the
/// next ordered step (the final progress event before the headers, the headers before success).
pub struct Listeners {
    progress: Mutex<ListenerList<ProgressEvent>>,
    headers: Mutex<ListenerList<HeadersEvent>>,
    in_flight: Mutex<Vec<oneshot::Receiver<()>>>,
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners {
            progress: Mutex::new(ListenerList::new("an onProgressUpdate listener")),
            headers: Mutex::new(ListenerList::new("an onHeadersReceived listener")),
            in_flight: Mutex::new(Vec::new()),
        }
    }
}

impl Listeners {
    /// Registers a progress listener; returns its id.
    pub fn add_progress(&self, listener: Listener<ProgressEvent>) -> u32 {
        lock(&self.progress).add(listener)
    }

    /// Removes one progress listener by id, or all.
    pub fn remove_progress(&self, id: Option<u32>) {
        lock(&self.progress).remove(id)
    }

    /// Registers a headers listener; returns its id.
    pub fn add_headers(&self, listener: Listener<HeadersEvent>) -> u32 {
        lock(&self.headers).add(listener)
    }

    /// Removes one headers listener by id, or all.
    pub fn remove_headers(&self, id: Option<u32>) {
        lock(&self.headers).remove(id)
    }

    /// Delivers the headers event once the final progress event has run in JavaScript, and
    /// returns once the headers event has run too: after it, the upload may settle.
    pub async fn deliver_headers(&self, event: HeadersEvent) {
        self.delivered().await;
        let acks = lock(&self.headers).emit(&event);
        lock(&self.in_flight).extend(acks);
        self.delivered().await;
    }

    /// Waits until every tracked event has run in JavaScript.
    async fn delivered(&self) {
        let pending = std::mem::take(&mut *lock(&self.in_flight));
        for ack in pending {
            let _ = ack.await;
        }
    }

    /// Drops every listener and refuses new ones: the task has settled.
    pub fn close(&self) {
        lock(&self.progress).close();
        lock(&self.headers).close();
        lock(&self.in_flight).clear();
    }
}

/// Locks a mutex, recovering the data if a panic poisoned it (no panic crosses the FFI boundary).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ProgressSink for Listeners {
    /// Sends a progress event without waiting; the final one is remembered so that
    /// [`Listeners::deliver_headers`] waits for it.
    fn report(&self, update: ProgressUpdate) {
        let acks = lock(&self.progress).emit(&update.event());
        if let ProgressUpdate::Final(_) = update {
            lock(&self.in_flight).extend(acks);
        }
    }
}
