//! The upload future: open the file, send the multipart body, deliver the headers, read the
//! response; raced against `abort()` and the deadline.

use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Client;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::activity::{Activity, Phase};
use crate::body::UploadBody;
use crate::error::{ErrorCode, UploadError};
use crate::file_reader::{FileCloser, FileSource};
use crate::listeners::{HeadersEvent, Listeners};
use crate::multipart::{guess_content_type, random_boundary, MultipartLayout};
use crate::options::UploadPlan;
use crate::progress::ProgressReporter;
use crate::response::{cookies, header_object, read_body, UploadSuccess};
use crate::reuse::on_reused_connection;

/// Runs one upload to its end: the response, or the first failure, `abort()` or the deadline
/// (counted from `started`, the task's creation).
pub async fn run_upload(
    plan: UploadPlan,
    client: Client,
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
    let work = send(plan, client, listeners, activity.clone(), token.clone());
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
    client: Client,
    listeners: Arc<Listeners>,
    activity: Arc<Activity>,
    token: CancellationToken,
) -> Result<UploadSuccess, UploadError> {
    let content_type = content_type_for(&plan.file_name, &plan.file_path);
    let mut source = Some(FileSource::open(plan.file_path.clone()).await?);
    let layout = MultipartLayout::new(
        random_boundary(),
        &plan.form_fields,
        &plan.field_name,
        &plan.file_name,
        &content_type,
    );
    let mut headers = plan.headers;
    let request_content_type = HeaderValue::from_str(&layout.content_type())
        .map_err(|e| UploadError::new(ErrorCode::ERR_NETWORK, e.to_string()))?;
    headers.insert(CONTENT_TYPE, request_content_type);
    let body_token = token.child_token();
    let mut stop = Stop {
        _body: body_token.clone().drop_guard(),
        files: Vec::with_capacity(2),
    };
    let file_len = source.as_ref().map_or(0, FileSource::len);
    let progress = Arc::new(ProgressReporter::new(
        layout.content_length(file_len),
        listeners.clone(),
    ));

    let mut sent_again = false;
    let response = loop {
        let file = match source.take() {
            Some(file) => file,
            None => FileSource::reopen(&plan.file_path, file_len).await?,
        };
        stop.files.push(file.closer());
        let body = UploadBody::new(
            layout.clone(),
            file,
            progress.clone(),
            activity.clone(),
            body_token.clone(),
        )
        .paced(plan.max_bytes_per_second);
        let request = client
            .post(plan.url.clone())
            .headers(headers.clone())
            .body(reqwest::Body::wrap(body))
            .send();
        let attempt = alongside(request, progress.trailing_edge());
        let (result, reused) = on_reused_connection(attempt).await;
        match result.map_err(UploadError::from_http) {
            Ok(response) => break response,
            // The server closed the idle connection as it was handed out: send it once more.
            Err(err) if reused && !sent_again && err.is_connection_lost() => sent_again = true,
            Err(err) => return Err(err),
        }
    };

    activity.moved(Phase::receive);
    let header = header_object(response.headers());
    let cookies = cookies(response.headers());
    listeners
        .deliver_headers(HeadersEvent {
            header: header.clone(),
        })
        .await;

    let status_code = u32::from(response.status().as_u16());
    let bytes = read_body(response, plan.max_response_bytes, &activity).await?;
    Ok(UploadSuccess {
        status_code,
        data: String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        header,
        cookies,
    })
}

/// Ends the body when the upload ends, however it ends (settled, aborted, timed out): not one
/// more byte is read or sent, the half-sent connection is closed rather than reused, and the
/// file is closed at once, even while the connection still waits on a server that stopped
/// reading (the connection itself then goes when the server reads, closes, or the TCP user
/// timeout passes).
struct Stop {
    _body: DropGuard,
    files: Vec<FileCloser>,
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
