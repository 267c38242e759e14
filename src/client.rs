//! One HTTP client per JavaScript environment (the main thread, each worker, each Electron
//! reload), so keep-alive connections are shared between uploads but never outlive the runtime
//! that drives them.

use napi::{Env, Status};
use reqwest::redirect::Policy;
use reqwest::Client;

/// The default `User-Agent`, sent unless the caller sets one.
pub const USER_AGENT: &str = concat!("upload-task/", env!("CARGO_PKG_VERSION"));

/// The client of this environment, built on first use and dropped with the environment.
pub fn client_for(env: &Env) -> napi::Result<Client> {
    if let Some(client) = env.get_instance_data::<Client>()? {
        return Ok(client.clone());
    }
    let client = build_client()?;
    env.set_instance_data(client.clone(), (), |_| {})?;
    Ok(client)
}

/// HTTP/1.1 with keep-alive, no redirects (a redirected POST would lose the upload), no proxy
/// from the environment (as Node's `http`), TLS verified against the system's roots.
fn build_client() -> napi::Result<Client> {
    Client::builder()
        .user_agent(USER_AGENT)
        .redirect(Policy::none())
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .build()
        .map_err(|e| {
            napi::Error::new(
                Status::GenericFailure,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}
