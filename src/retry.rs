//! When a failed attempt is repeated (`retry`): only when the server cannot have processed the
//! upload (the connection was refused, or reset or closed before any response byte), or when it
//! said to come back later (429, 503), honouring `Retry-After` up to a cap. Each repeat re-opens
//! the file and sends it whole.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use crate::error::{ErrorCode, UploadError};

/// The caller's `retry` option, validated by `options.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times an attempt may be repeated.
    pub limit: u32,
    /// The wait before the first repeat; doubled for each next one.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// The wait before repeat number `repeat` (1 for the first), when the server named none.
    pub fn backoff_before(&self, repeat: u32) -> Duration {
        let factor = 1u32
            .checked_shl(repeat.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor)
    }

    /// Whether a failure before any response byte may be repeated: the server refused the
    /// connection, or it broke before a response began.
    pub fn may_repeat_failure(&self, err: &UploadError) -> bool {
        matches!(
            err.code,
            ErrorCode::ECONNREFUSED | ErrorCode::ECONNRESET | ErrorCode::EPIPE
        )
    }

    /// For a response that asks to come back later (429, 503): the wait before repeat number
    /// `repeat`, from its `Retry-After` or else the backoff; `None` for any other response, or a
    /// `Retry-After` longer than the cap (the response is then the result).
    pub fn wait_for_response(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        repeat: u32,
    ) -> Option<Duration> {
        if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
            return None;
        }
        match retry_after(headers, SystemTime::now()) {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff_before(repeat)),
        }
    }
}

/// How many times one upload was sent, and whether it is sent once more: after a stale pooled
/// connection (once, at once, with or without `retry`; see `reuse.rs`), or as its `retry` policy
/// says, when the wait ends before the deadline.
#[derive(Debug)]
pub struct Sends {
    policy: Option<RetryPolicy>,
    deadline: Option<Instant>,
    attempts: u32,
    repeats: u32,
    resent_stale: bool,
}

impl Sends {
    /// The first send of an upload with this policy and deadline.
    pub fn new(policy: Option<RetryPolicy>, deadline: Option<Instant>) -> Self {
        Sends {
            policy,
            deadline,
            attempts: 1,
            repeats: 0,
            resent_stale: false,
        }
    }

    /// After a failure before any response (`reused`: on a pooled connection, certainly): the
    /// wait before sending again, or `None` when the failure is the result.
    pub fn after_failure(&mut self, err: &UploadError, reused: bool) -> Option<Duration> {
        if reused && !self.resent_stale && err.is_connection_lost() {
            // The server closed the idle connection as it was handed out.
            self.resent_stale = true;
            self.attempts += 1;
            return Some(Duration::ZERO);
        }
        let policy = self.policy.filter(|p| p.may_repeat_failure(err))?;
        self.repeat(policy.backoff_before(self.repeats + 1))
    }

    /// After a response: the wait before sending again (a 429 or 503 the policy repeats), or
    /// `None` when the response is the result.
    pub fn after_response(&mut self, response: &Response) -> Option<Duration> {
        let policy = self.policy?;
        let wait =
            policy.wait_for_response(response.status(), response.headers(), self.repeats + 1)?;
        self.repeat(wait)
    }

    /// With `retry`: how many times the upload was sent.
    pub fn attempts(&self) -> Option<u32> {
        self.policy.map(|_| self.attempts)
    }

    /// Counts one more repeat after `wait`, unless the repeats are used up or the wait would end
    /// past the deadline.
    fn repeat(&mut self, wait: Duration) -> Option<Duration> {
        let limit = self.policy.map_or(0, |p| p.limit);
        let fits = self
            .deadline
            .is_none_or(|at| Instant::now().checked_add(wait).is_some_and(|end| end < at));
        if self.repeats >= limit || !fits {
            return None;
        }
        self.repeats += 1;
        self.attempts += 1;
        Some(wait)
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds, or an HTTP date (a past date is no
/// wait). `None` when absent or unreadable.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            limit: 3,
            backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn with_retry_after(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        let p = policy();
        assert_eq!(p.backoff_before(1), Duration::from_millis(100));
        assert_eq!(p.backoff_before(2), Duration::from_millis(200));
        assert_eq!(p.backoff_before(4), Duration::from_millis(800));
        assert!(p.backoff_before(200) >= Duration::from_secs(1 << 20));
    }

    #[test]
    fn only_429_and_503_ask_to_come_back() {
        let p = policy();
        let none = HeaderMap::new();
        assert_eq!(p.wait_for_response(StatusCode::OK, &none, 1), None);
        assert_eq!(
            p.wait_for_response(StatusCode::INTERNAL_SERVER_ERROR, &none, 1),
            None
        );
        assert_eq!(
            p.wait_for_response(StatusCode::SERVICE_UNAVAILABLE, &none, 2),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            p.wait_for_response(StatusCode::TOO_MANY_REQUESTS, &with_retry_after("2"), 1),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.wait_for_response(StatusCode::TOO_MANY_REQUESTS, &with_retry_after("6"), 1),
            None,
            "longer than the cap: the response is the result"
        );
    }

    #[test]
    fn retry_after_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let later = with_retry_after("Sun, 06 Nov 1994 08:49:40 GMT");
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(3)));
        let past = with_retry_after("Sun, 06 Nov 1994 08:49:30 GMT");
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(retry_after(&with_retry_after("soon"), now), None);
    }

    #[test]
    fn sends_count_repeats_up_to_the_limit_and_the_deadline() {
        let reset = UploadError::new(ErrorCode::ECONNRESET, "x");
        let mut sends = Sends::new(Some(policy()), None);
        assert_eq!(
            sends.after_failure(&reset, false),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            sends.after_failure(&reset, false),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            sends.after_failure(&reset, false),
            Some(Duration::from_millis(400))
        );
        assert_eq!(sends.after_failure(&reset, false), None, "limit 3");
        assert_eq!(sends.attempts(), Some(4));

        let soon = Instant::now() + Duration::from_millis(150);
        let mut sends = Sends::new(Some(policy()), Some(soon));
        assert_eq!(
            sends.after_failure(&reset, false),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            sends.after_failure(&reset, false),
            None,
            "200 ms would pass the deadline"
        );
    }

    #[test]
    fn a_stale_pooled_connection_is_sent_again_once_without_retry() {
        let reset = UploadError::new(ErrorCode::ECONNRESET, "x");
        let mut sends = Sends::new(None, None);
        assert_eq!(sends.after_failure(&reset, true), Some(Duration::ZERO));
        assert_eq!(sends.after_failure(&reset, true), None);
        assert_eq!(
            sends.attempts(),
            None,
            "no retry option: no attempts in the result"
        );
    }

    #[test]
    fn only_failures_before_a_response_repeat() {
        let p = policy();
        for code in [
            ErrorCode::ECONNREFUSED,
            ErrorCode::ECONNRESET,
            ErrorCode::EPIPE,
        ] {
            assert!(p.may_repeat_failure(&UploadError::new(code, "x")));
        }
        for code in [
            ErrorCode::ENOTFOUND,
            ErrorCode::ERR_TLS_CERT_INVALID,
            ErrorCode::ABORT_ERR,
        ] {
            assert!(!p.may_repeat_failure(&UploadError::new(code, "x")));
        }
    }
}
