//! What the addon keeps per JavaScript environment (the main thread, each worker, each Electron
//! reload): its HTTP clients (`clients.rs`), so keep-alive connections are shared between its
//! uploads, and a shutdown token that cancels its uploads when the environment is torn down (a
//! terminated worker's uploads stop instead of running on without anyone to report to).

use std::sync::Arc;

use napi::{Env, Status};
use tokio_util::sync::CancellationToken;

use crate::clients::Clients;
use crate::keep_alive::KeepAliveHints;

/// The addon's state in one environment.
pub struct EnvState {
    /// The HTTP clients of this environment.
    pub clients: Arc<Clients>,
    /// The origins' `Keep-Alive` hints, which pick how long a client keeps connections idle.
    pub keep_alive: Arc<KeepAliveHints>,
    /// Cancelled when the environment is torn down; every task's token is its child.
    pub shutdown: CancellationToken,
}

/// The state of this environment, created on first use and finalized with the environment.
pub fn env_state(env: &Env) -> napi::Result<&'static EnvState> {
    if env.get_instance_data::<EnvState>()?.is_none() {
        let clients = Clients::new().map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("cannot build the HTTP client: {}", e.reason),
            )
        })?;
        let state = EnvState {
            clients: Arc::new(clients),
            keep_alive: Arc::default(),
            shutdown: CancellationToken::new(),
        };
        env.set_instance_data(state, (), |ctx| ctx.value.shutdown.cancel())?;
    }
    match env.get_instance_data::<EnvState>()? {
        Some(state) => Ok(state),
        None => Err(napi::Error::new(
            Status::GenericFailure,
            "the addon's per-environment state is missing",
        )),
    }
}
