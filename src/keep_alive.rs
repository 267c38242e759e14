//! How long a kept-alive connection may wait idle in the pool before it is closed instead of
//! reused. A server closes idle connections after its own timeout; a request that reuses one just
//! as it closes fails after its body was handed over, and such a request is not sent again
//! (`retry.rs`). So the pool keeps a connection idle for less than common server defaults
//! ([`POOL_IDLE`], as undici does), and for less than a server's own `Keep-Alive: timeout=N` hint
//! ([`hinted_idle`]): the hint of an origin's last response picks the client whose pool keeps
//! connections idle for that long (`PoolIdle` in `ClientKey`, `clients.rs`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The longest a pooled connection waits idle: below the 5 s of Node's and Apache's servers.
pub const POOL_IDLE: PoolIdle = PoolIdle(4);

/// How much sooner than a server's hinted timeout the pool drops an idle connection.
const MARGIN_SECONDS: u64 = 1;

/// How many origins' hints are remembered.
const ORIGINS: usize = 256;

/// How long, in whole seconds (`0`: not kept at all), a client's pool keeps a connection idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolIdle(u8);

impl Default for PoolIdle {
    fn default() -> Self {
        POOL_IDLE
    }
}

impl PoolIdle {
    /// The idle time; `None` when connections are not kept idle at all.
    pub fn duration(self) -> Option<Duration> {
        (self.0 > 0).then(|| Duration::from_secs(u64::from(self.0)))
    }
}

/// The pool idle time a `Keep-Alive` header value asks for: its `timeout=N` seconds less a
/// margin, at most [`POOL_IDLE`]; `None` without a readable `timeout`.
pub fn hinted_idle(keep_alive: &str) -> Option<PoolIdle> {
    let timeout = keep_alive.split(',').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("timeout")
            .then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
    })?;
    let idle = timeout
        .saturating_sub(MARGIN_SECONDS)
        .min(u64::from(POOL_IDLE.0));
    Some(PoolIdle(u8::try_from(idle).unwrap_or(POOL_IDLE.0)))
}

/// The pool idle time each origin's last response asked for, per environment.
#[derive(Debug, Default)]
pub struct KeepAliveHints {
    origins: Mutex<HashMap<String, PoolIdle>>,
}

impl KeepAliveHints {
    /// The pool idle time for a request to `origin`.
    pub fn for_origin(&self, origin: &str) -> PoolIdle {
        self.lock().get(origin).copied().unwrap_or_default()
    }

    /// Records the `Keep-Alive` header value of `origin`'s latest response (`None`: none).
    pub fn record(&self, origin: &str, keep_alive: Option<&str>) {
        let mut origins = self.lock();
        match keep_alive.and_then(hinted_idle) {
            Some(idle) if idle != POOL_IDLE => {
                if origins.len() >= ORIGINS && !origins.contains_key(origin) {
                    origins.clear();
                }
                origins.insert(origin.to_owned(), idle);
            }
            _ => {
                origins.remove(origin);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PoolIdle>> {
        self.origins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_leaves_a_margin_and_never_exceeds_the_default() {
        assert_eq!(hinted_idle("timeout=5"), Some(PoolIdle(4)));
        assert_eq!(hinted_idle("max=100, Timeout = 3"), Some(PoolIdle(2)));
        assert_eq!(hinted_idle("timeout=75"), Some(POOL_IDLE));
        assert_eq!(hinted_idle("timeout=99999999999999999999"), None);
        assert_eq!(hinted_idle("timeout=1"), Some(PoolIdle(0)));
        assert_eq!(hinted_idle("timeout=0"), Some(PoolIdle(0)));
        assert_eq!(hinted_idle("max=5"), None);
        assert_eq!(hinted_idle("timeout=soon"), None);
        assert_eq!(PoolIdle(0).duration(), None, "not kept idle");
        assert_eq!(POOL_IDLE.duration(), Some(Duration::from_secs(4)));
    }

    #[test]
    fn each_origin_keeps_its_latest_hint() {
        let hints = KeepAliveHints::default();
        let a = "http://127.0.0.1:1";
        assert_eq!(hints.for_origin(a), POOL_IDLE);
        hints.record(a, Some("timeout=0"));
        assert_eq!(hints.for_origin(a), PoolIdle(0));
        assert_eq!(hints.for_origin("http://127.0.0.1:2"), POOL_IDLE);
        hints.record(a, Some("timeout=3"));
        assert_eq!(hints.for_origin(a), PoolIdle(2));
        hints.record(a, None);
        assert_eq!(hints.for_origin(a), POOL_IDLE);
        for port in 0..2 * ORIGINS {
            hints.record(&format!("http://h:{port}"), Some("timeout=2"));
        }
        assert!(hints.lock().len() <= ORIGINS, "bounded");
    }
}
