//! The upload future: a loop of attempts (`attempt.rs`), each classified by the redirect rules
//! (`redirect.rs`) and the retry rules (`retry.rs`), then the final response delivered and read;
//! raced against `abort()`, the deadline (`deadline.rs`) and the idle watchdog (`activity.rs`).

use std::future::pending;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, RETRY_AFTER};
use reqwest::{Response, Version};
use tokio_util::sync::CancellationToken;

use crate::activity::Activity;
use crate::attempt::{Attempts, Seen};
use crate::clients::Pooled;
use crate::deadline::Deadline;
use crate::error::{ErrorCode, Http2Failure, UploadError};
use crate::listeners::{HeadersEvent, Listeners};
use crate::options::UploadPlan;
use crate::phase::Phase;
use crate::profile::{self, Clock};
use crate::redirect::{self, Hop};
use crate::response::{cookies, header_object, read_body, UploadSuccess};
use crate::retry::{Ended, Sends, Unprocessed};

/// The header by which a caller marks an upload as safe to repeat after it was written whole
/// (`retry` then repeats it; the IETF httpapi `Idempotency-Key` draft).
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Runs one upload to its end: the response, or the first failure, `abort()` or the deadline
/// (counted from `started`, the task's creation); `attempts` counts the times it was sent.
pub async fn run_upload(
    plan: UploadPlan,
    client: Pooled,
    listeners: Arc<Listeners>,
    token: CancellationToken,
    started: Instant,
    attempts: Arc<AtomicU32>,
) -> Result<UploadSuccess, UploadError> {
    let deadline = Deadline::new(started, plan.timeout);
    let activity = Arc::new(Activity::new());
    let idle_timeout = plan.idle_timeout;
    let watchdog = async {
        match idle_timeout {
            Some(idle) => activity.stalled(idle).await,
            None => pending::<Phase>().await,
        }
    };
    let sends = Sends::new(plan.retry, deadline, attempts);
    let work = upload(plan, client, listeners, activity.clone(), &token, sends);
    tokio::select! {
        biased;
        _ = token.cancelled() => Err(UploadError::abort()),
        _ = deadline.passed() => Err(UploadError::timeout(activity.phase())),
        phase = watchdog => Err(UploadError::timeout(phase)),
        result = work => result,
    }
}

/// The story of one upload: open the file, then send attempts until one's response is the
/// result (following redirects, sending again as the retry rules say), then deliver that
/// response's headers and read its body.
async fn upload(
    plan: UploadPlan,
    pooled: Pooled,
    listeners: Arc<Listeners>,
    activity: Arc<Activity>,
    token: &CancellationToken,
    mut sends: Sends,
) -> Result<UploadSuccess, UploadError> {
    let clock = plan.profile.then(Clock::now);
    let (mut attempts, mut hop) =
        Attempts::open(&plan, pooled, listeners.clone(), activity.clone(), token).await?;
    let mut redirects = Redirects::default();
    let (response, seen) = loop {
        sends.sending();
        let sent = attempts.send(&hop).await?;
        let failed = Failed {
            reused: sent.seen.connecting.reused(),
            http2: sent.http2,
            unprocessed: sent.unprocessed,
            keyed: hop.headers.contains_key(IDEMPOTENCY_KEY),
        };
        match next_step(sent.result, failed, &hop, &plan, &redirects, &mut sends)? {
            Step::Result(response) => break (response, sent.seen),
            Step::Follow(next) => {
                redirects.followed(sent.seen.fetch_start);
                hop = next;
            }
            Step::Again(wait) => activity.waiting(tokio::time::sleep(wait)).await,
        }
    };
    let early = seen.body.as_ref().is_some_and(|body| body.end().is_none());
    let received = receive(response, &plan, &listeners, &activity, early).await?;
    let profile = clock.map(|clock| received.observed(&redirects, seen).profile(&clock));
    Ok(UploadSuccess {
        status_code: received.status_code,
        data: String::from_utf8(received.bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        header: received.header,
        cookies: received.cookies,
        profile,
        attempts: sends.attempts(),
    })
}

/// What follows an attempt.
enum Step {
    /// Its response is the result.
    Result(Response),
    /// A redirect to this request.
    Follow(Hop),
    /// The upload is sent again after this wait.
    Again(Duration),
}

/// What is known of an attempt's failure besides its code.
#[derive(Clone, Copy)]
struct Failed {
    /// The request went out on a connection the pool certainly reused.
    reused: bool,
    /// How it failed over HTTP/2, if it did.
    http2: Option<Http2Failure>,
    /// Whether its body was not all handed to the connection ([`Unprocessed::NotWritten`]).
    unprocessed: Option<Unprocessed>,
    /// The request carries an `Idempotency-Key` header.
    keyed: bool,
}

impl Failed {
    /// As the retry rules see it, failed with `err`. Over HTTP/2 a lost connection is no sign of a
    /// stale pooled one: a server closing an idle HTTP/2 connection says so with `GOAWAY`, whose
    /// unprocessed streams are the evidence.
    fn ended(self, err: &UploadError) -> Ended<'static> {
        let http2 = match self.http2 {
            Some(Http2Failure::RefusedStream) => Some(Unprocessed::RefusedStream),
            Some(Http2Failure::GoawayUnprocessed) => Some(Unprocessed::GoawayUnprocessed),
            Some(Http2Failure::Other) | None => None,
        };
        Ended::Failed {
            code: err.code,
            reused: self.reused && self.http2.is_none(),
            unprocessed: http2.or(self.unprocessed),
            keyed: self.keyed,
            timed_out_connecting: err.code == ErrorCode::ETIMEDOUT
                && err.phase == Some(Phase::connect),
        }
    }
}

/// Classifies what an attempt to `hop` got (`failed`: what is known of a failure): a failure
/// is the result unless the retry rules send the upload again; a response is followed when it
/// is a redirect, sent again when the retry rules say so, else the result.
fn next_step(
    result: Result<Response, UploadError>,
    failed: Failed,
    hop: &Hop,
    plan: &UploadPlan,
    redirects: &Redirects,
    sends: &mut Sends,
) -> Result<Step, UploadError> {
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            let ended = failed.ended(&err);
            return sends.after(ended).map(Step::Again).ok_or(err);
        }
    };
    let (status, headers) = (response.status(), response.headers());
    let location = headers.get(LOCATION);
    if let Some(next) =
        redirect::follow(hop, status, location, plan.max_redirects, redirects.count)?
    {
        return Ok(Step::Follow(next));
    }
    let retry_after = headers.get(RETRY_AFTER);
    if let Some(wait) = sends.after(Ended::Answered {
        status,
        retry_after,
    }) {
        return Ok(Step::Again(wait));
    }
    Ok(Step::Result(response))
}

/// The redirects an upload followed.
#[derive(Debug, Default)]
struct Redirects {
    count: u32,
    /// The first redirected request's start and the last redirect's head, when any.
    span: Option<(Instant, Instant)>,
}

impl Redirects {
    /// Counts a redirect answered now to a request that started at `fetch_start`.
    fn followed(&mut self, fetch_start: Instant) {
        self.count += 1;
        let first = self.span.map_or(fetch_start, |(start, _)| start);
        self.span = Some((first, Instant::now()));
    }
}

/// The final response, delivered and read.
struct Received {
    status_code: u32,
    header: serde_json::Value,
    cookies: Vec<String>,
    bytes: Vec<u8>,
    peer: Option<std::net::SocketAddr>,
    version: Version,
    start: Instant,
    end: Instant,
}

/// Delivers the final response's headers (after the final progress event has run in
/// JavaScript, `Listeners::deliver_headers`) while reading its body at once: a server that closes
/// the connection after its response may reset it, and the data not yet read goes with it.
/// `early`: the response came before the request's body was all sent; the connection breaking
/// under its body then ends the body: what arrived of it is the result's (docs/API.md §2.3).
async fn receive(
    response: Response,
    plan: &UploadPlan,
    listeners: &Listeners,
    activity: &Activity,
    early: bool,
) -> Result<Received, UploadError> {
    let start = Instant::now();
    activity.moved(Phase::receive);
    let header = header_object(response.headers());
    let cookies = cookies(response.headers());
    let status_code = u32::from(response.status().as_u16());
    let peer = response.remote_addr();
    let version = response.version();
    let mut bytes = Vec::new();
    let delivered = listeners.deliver_headers(HeadersEvent {
        header: header.clone(),
    });
    let read = read_body(response, plan.max_response_bytes, activity, &mut bytes);
    let ((), read) = tokio::join!(delivered, read);
    match read {
        Err(err) if !(early && err.code.is_connection_lost()) => return Err(err),
        _ => {}
    }
    Ok(Received {
        status_code,
        header,
        cookies,
        bytes,
        peer,
        version,
        start,
        end: Instant::now(),
    })
}

impl Received {
    /// What was observed of the request that got this response, for the profile.
    fn observed(&self, redirects: &Redirects, seen: Seen) -> profile::Observed {
        profile::Observed {
            redirects: redirects.span,
            fetch_start: seen.fetch_start,
            connecting: seen.connecting,
            body_end: seen.body.as_ref().and_then(|body| body.end()),
            response_start: self.start,
            response_end: self.end,
            peer: self.peer,
            version: self.version,
            sent: seen.body.map_or(0, |body| body.bytes()),
            received: self.bytes.len() as u64,
        }
    }
}
