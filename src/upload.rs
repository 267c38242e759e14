//! The upload future: open the file, send the multipart body (again for a 307/308 redirect or a
//! retry, from a re-opened file), follow redirects, deliver the headers, read the response;
//! raced against `abort()`, the deadline and the idle watchdog.

use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Method, Response, StatusCode, Url};
use tokio_util::either::Either;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::activity::{Activity, Phase};
use crate::body::UploadBody;
use crate::environment::{Pooled, ProxyChoice};
use crate::error::{ErrorCode, UploadError};
use crate::file_reader::{FileCloser, FileSource};
use crate::listeners::{HeadersEvent, Listeners};
use crate::multipart::{guess_content_type, random_boundary, MultipartLayout};
use crate::options::UploadPlan;
use crate::profile::{Clock, Observed};
use crate::progress::ProgressReporter;
use crate::response::{cookies, header_object, read_body, UploadSuccess};
use crate::retry::Sends;
use crate::reuse::watch_connecting;

/// Runs one upload to its end: the response, or the first failure, `abort()` or the deadline
/// (counted from `started`, the task's creation).
pub async fn run_upload(
    plan: UploadPlan,
    client: Pooled,
    listeners: Arc<Listeners>,
    token: CancellationToken,
    started: Instant,
) -> Result<UploadSuccess, UploadError> {
    let deadline = plan.timeout.and_then(|t| started.checked_add(t));
    let timer = async move {
        match deadline {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => pending::<()>().await,
        }
    };
    let activity = Arc::new(Activity::new());
    let idle_timeout = plan.idle_timeout;
    let watchdog = async {
        match idle_timeout {
            Some(idle) => activity.stalled(idle).await,
            None => pending::<Phase>().await,
        }
    };
    let work = send(
        plan,
        client,
        listeners,
        activity.clone(),
        token.clone(),
        deadline,
    );
    tokio::select! {
        biased;
        _ = token.cancelled() => Err(UploadError::abort()),
        _ = timer => Err(UploadError::timeout(activity.phase())),
        phase = watchdog => Err(UploadError::timeout(phase)),
        result = work => result,
    }
}

async fn send(
    plan: UploadPlan,
    pooled: Pooled,
    listeners: Arc<Listeners>,
    activity: Arc<Activity>,
    token: CancellationToken,
    deadline: Option<Instant>,
) -> Result<UploadSuccess, UploadError> {
    let clock = plan.profile.then(Clock::now);
    let content_type = plan
        .file_content_type
        .clone()
        .unwrap_or_else(|| content_type_for(&plan.file_name, &plan.file_path));
    let mut source = Some(FileSource::open(plan.file_path.clone()).await?);
    let file_len = source.as_ref().map_or(0, FileSource::len);
    let layout = MultipartLayout::new(
        random_boundary(),
        &plan.form_fields,
        &plan.field_name,
        &plan.file_name,
        &content_type,
    );
    let mut headers = plan.headers.clone();
    let request_content_type = HeaderValue::from_str(&layout.content_type())
        .map_err(|e| UploadError::new(ErrorCode::ERR_NETWORK, e.to_string()))?;
    headers.insert(CONTENT_TYPE, request_content_type);
    let body_token = token.child_token();
    let mut stop = Stop {
        _body: body_token.clone().drop_guard(),
        files: Vec::with_capacity(2),
        attempt: None,
    };
    let total = layout.content_length(file_len);
    let proxied = plan.client.proxy != ProxyChoice::None;
    let client = &pooled.client;

    let mut hop = Hop::first(plan.url.clone(), headers);
    let mut redirects: Option<(Instant, Instant)> = None;
    let mut followed: u32 = 0;
    let mut sends = Sends::new(plan.retry, deadline);
    let (response, fetch_start, connecting) = loop {
        // What an earlier request of this upload still sends (a server that answered a redirect,
        // 429 or 503 before reading the whole body) stops now: its body ends and its file closes.
        stop.end_attempt();
        // With HTTP/2 offered, wait while another upload opens the first connection to the origin.
        let first_turn = match (&pooled.first, hop.url.scheme()) {
            (Some(first), "https") if hop.with_body => first.turn(&hop.url).await,
            _ => None,
        };
        let fetch_start = Instant::now();
        let request = if hop.with_body {
            let file = match source.take() {
                Some(file) => file,
                None => FileSource::reopen(&plan.file_path, file_len).await?,
            };
            let attempt_token = body_token.child_token();
            stop.attempt = Some(attempt_token.clone());
            stop.files.push(file.closer());
            // A body sent again reports its progress from 0 again.
            let progress = Arc::new(ProgressReporter::new(total, listeners.clone()));
            let body = UploadBody::new(
                layout.clone(),
                file,
                progress.clone(),
                activity.clone(),
                attempt_token,
            )
            .paced(plan.max_bytes_per_second);
            let request = client
                .request(hop.method.clone(), hop.url.clone())
                .headers(hop.headers.clone())
                .body(reqwest::Body::wrap(body))
                .send();
            Either::Left(alongside(
                request,
                async move { progress.trailing_edge().await },
            ))
        } else {
            let request = client
                .request(hop.method.clone(), hop.url.clone())
                .headers(hop.headers.clone())
                .send();
            Either::Right(request)
        };
        let opening = async {
            if let Some(turn) = first_turn {
                activity.body_moves().await;
                turn.connected();
            }
        };
        let (result, connecting) = watch_connecting(alongside(request, opening)).await;
        let result = result.map_err(if proxied {
            UploadError::from_proxied_http
        } else {
            UploadError::from_http
        });
        let response = match result {
            Ok(response) => response,
            Err(err) => match sends.after_failure(&err, connecting.reused()) {
                Some(wait) => {
                    activity.waiting(tokio::time::sleep(wait)).await;
                    continue;
                }
                None => return Err(err),
            },
        };
        if let Some(next) = hop.redirect(&response, plan.max_redirects, followed)? {
            followed += 1;
            redirects = Some((
                redirects.map_or(fetch_start, |(start, _)| start),
                Instant::now(),
            ));
            hop = next;
            continue;
        }
        if let Some(wait) = sends.after_response(&response) {
            drop(response);
            activity.waiting(tokio::time::sleep(wait)).await;
            continue;
        }
        break (response, fetch_start, connecting);
    };

    let response_start = Instant::now();
    activity.moved(Phase::receive);
    let header = header_object(response.headers());
    let cookies = cookies(response.headers());
    listeners
        .deliver_headers(HeadersEvent {
            header: header.clone(),
        })
        .await;

    let status_code = u32::from(response.status().as_u16());
    let peer = response.remote_addr();
    let version = response.version();
    let bytes = read_body(response, plan.max_response_bytes, &activity).await?;
    let profile = clock.map(|clock| {
        Observed {
            redirects,
            fetch_start,
            connecting,
            body_end: hop.with_body.then(|| activity.body_end()).flatten(),
            response_start,
            response_end: Instant::now(),
            peer,
            version,
            sent: if hop.with_body { total } else { 0 },
            received: bytes.len() as u64,
        }
        .profile(&clock)
    });
    Ok(UploadSuccess {
        status_code,
        data: String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        header,
        cookies,
        profile,
        attempts: sends.attempts(),
    })
}

/// One request of an upload's chain of redirects: where it goes, how, and with which headers.
struct Hop {
    url: Url,
    method: Method,
    headers: HeaderMap,
    /// Whether it carries the file (a POST, or a 307/308 of one).
    with_body: bool,
}

impl Hop {
    /// The upload's own request: a POST with the file.
    fn first(url: Url, headers: HeaderMap) -> Self {
        Hop {
            url,
            method: Method::POST,
            headers,
            with_body: true,
        }
    }

    /// The request a redirect response asks for, as browsers follow it: 301 and 302 turn a POST
    /// into a GET, 303 anything into a GET, both without the body; 307 and 308 repeat the
    /// request, body and all. `None` when `response` is not a redirect to follow (not 3xx, no
    /// usable `Location`, or following is off: `maxRedirects` 0); an error for one redirect too
    /// many, or one from `https:` to `http:`. `Authorization` and `Cookie` are dropped when the
    /// origin changes.
    fn redirect(
        &self,
        response: &Response,
        max_redirects: u32,
        followed: u32,
    ) -> Result<Option<Hop>, UploadError> {
        let status = response.status();
        let keeps_body = match status {
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => true,
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER => false,
            _ => return Ok(None),
        };
        if max_redirects == 0 {
            return Ok(None);
        }
        let Some(next) = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| self.url.join(l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            return Ok(None);
        };
        if followed >= max_redirects {
            return Err(UploadError::new(
                ErrorCode::ERR_TOO_MANY_REDIRECTS,
                format!("too many redirects (maxRedirects is {max_redirects})"),
            ));
        }
        if self.url.scheme() == "https" && next.scheme() == "http" {
            return Err(UploadError::new(
                ErrorCode::ERR_INSECURE_REDIRECT,
                "redirect from https: to http: refused",
            ));
        }
        let mut headers = self.headers.clone();
        if self.url.origin() != next.origin() {
            headers.remove(AUTHORIZATION);
            headers.remove(COOKIE);
        }
        let (method, with_body) = if keeps_body {
            (self.method.clone(), self.with_body)
        } else {
            let method = if status == StatusCode::SEE_OTHER || self.method == Method::POST {
                Method::GET
            } else {
                self.method.clone()
            };
            (method, false)
        };
        if !with_body {
            headers.remove(CONTENT_TYPE);
        }
        Ok(Some(Hop {
            url: next,
            method,
            headers,
            with_body,
        }))
    }
}

/// Ends the body when the upload ends, however it ends (settled, aborted, timed out): not one
/// more byte is read or sent, the half-sent connection is closed rather than reused, and the
/// file is closed at once, even while the connection still waits on a server that stopped
/// reading (the connection itself then goes when the server reads, closes, or the TCP user
/// timeout passes).
struct Stop {
    _body: DropGuard,
    files: Vec<FileCloser>,
    /// The body of the latest request that had one (its file is the last of `files`).
    attempt: Option<CancellationToken>,
}

impl Stop {
    /// Ends the body of the request before this one, if it is still being sent, and closes its
    /// file.
    fn end_attempt(&mut self) {
        if let Some(token) = self.attempt.take() {
            token.cancel();
            if let Some(file) = self.files.last() {
                file.close();
            }
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        for file in &self.files {
            file.close();
        }
    }
}

/// Runs `main` to its end while also polling `side` (in the same task) until `side` ends.
async fn alongside<F: Future>(main: F, side: impl Future<Output = ()>) -> F::Output {
    let mut main = pin!(main);
    let mut side = pin!(side);
    let mut side_done = false;
    poll_fn(|cx| {
        if !side_done {
            side_done = side.as_mut().poll(cx).is_ready();
        }
        main.as_mut().poll(cx)
    })
    .await
}

/// The file part's type: from the name the server sees, else from the path on disk.
fn content_type_for(file_name: &str, file_path: &str) -> String {
    let by_name = guess_content_type(file_name);
    if by_name != "application/octet-stream" {
        return by_name;
    }
    guess_content_type(file_path)
}
