//! The outcome as JavaScript sees it: Node-style header objects, the success result, and the
//! failure, told apart by an explicit `outcome` field.

use std::io;

use napi_derive::napi;
use reqwest::header::{HeaderMap, CONTENT_ENCODING, CONTENT_LENGTH, SET_COOKIE};
use reqwest::Response;
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use crate::activity::Activity;
use crate::decoding::{coding_of, decoded, wire};
use crate::error::{ErrorCode, UploadError};
use crate::phase::Phase;
use crate::profile::RequestProfile;

/// What a finished upload got from the server.
#[derive(Debug, Clone)]
pub struct UploadSuccess {
    /// The HTTP status code.
    pub status_code: u32,
    /// The response body, decoded as UTF-8.
    pub data: String,
    /// The response headers, as in `onHeadersReceived`.
    pub header: Value,
    /// The `Set-Cookie` values, `[]` when none.
    pub cookies: Vec<String>,
    /// The timings, with `enableProfile`.
    pub profile: Option<RequestProfile>,
    /// How many times the upload was sent.
    pub attempts: u32,
}

/// How an upload ended, as the native promise of `start` resolves (it never rejects):
/// `{ outcome: 'success', statusCode, data, header, cookies }` or
/// `{ outcome: 'failure', code, reason }`. `lib/upload-file.js` adds `errMsg` or makes the `UploadError`.
#[napi(discriminant = "outcome", discriminant_case = "lowercase")]
#[derive(Debug, Clone)]
// One value per upload, moved once into JavaScript: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum UploadOutcome {
    /// A response arrived, whatever its status.
    Success {
        /// The HTTP status code.
        status_code: u32,
        /// The response body, decoded as UTF-8.
        data: String,
        /// The response headers, as in `onHeadersReceived`.
        header: Value,
        /// The `Set-Cookie` values, `[]` when none.
        cookies: Vec<String>,
        /// The timings, with `enableProfile`.
        profile: Option<RequestProfile>,
        /// How many times the upload was sent.
        attempts: u32,
    },
    /// The upload failed.
    Failure {
        /// The stable error code.
        code: ErrorCode,
        /// The reason that follows `uploadFile:fail `.
        reason: String,
        /// For a timeout: where the upload was.
        phase: Option<Phase>,
        /// How many times the upload was sent (`0`: it failed before it was sent).
        attempts: u32,
    },
}

impl From<Result<UploadSuccess, UploadError>> for UploadOutcome {
    fn from(result: Result<UploadSuccess, UploadError>) -> Self {
        match result {
            Ok(s) => UploadOutcome::Success {
                status_code: s.status_code,
                data: s.data,
                header: s.header,
                cookies: s.cookies,
                profile: s.profile,
                attempts: s.attempts,
            },
            Err(e) => e.into(),
        }
    }
}

impl From<UploadError> for UploadOutcome {
    fn from(err: UploadError) -> Self {
        UploadOutcome::Failure {
            code: err.code,
            reason: err.reason,
            phase: err.phase,
            attempts: 0,
        }
    }
}

impl UploadOutcome {
    /// This failure, of an upload that was sent `sent` times (a success knows its own count).
    pub fn sent(mut self, sent: u32) -> Self {
        if let UploadOutcome::Failure { attempts, .. } = &mut self {
            *attempts = sent;
        }
        self
    }
}

/// Reads the response body, decoded from its content coding (`src/decoding.rs`), failing with
/// `ERR_RESPONSE_TOO_LARGE` as soon as it is announced or seen to be larger than `limit` decoded
/// bytes; memory never holds more than `limit` bytes of it (a compression bomb stops there).
/// On a failure, `body` holds what arrived before it.
pub async fn read_body(
    response: Response,
    limit: u64,
    activity: &Activity,
    body: &mut Vec<u8>,
) -> Result<(), UploadError> {
    let too_large = || {
        UploadError::new(
            ErrorCode::ERR_RESPONSE_TOO_LARGE,
            format!("response too large (over maxResponseBytes, {limit} bytes)"),
        )
    };
    let coding = coding_of(response.headers());
    // The announced length is the decoded one only when nothing is decoded.
    let announced = response.content_length().filter(|_| coding.is_none());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    body.reserve(announced.unwrap_or(0).min(limit) as usize);
    let mut wire = wire(response, activity);
    // An empty body is empty whatever its coding says (a 204, an empty 200), as reqwest had it.
    if wire.fill_buf().await.map_err(body_error)?.is_empty() {
        return Ok(());
    }
    let mut reader = decoded(coding, wire);
    let mut buffer = vec![0; READ_BUFFER];
    loop {
        let n = reader.read(&mut buffer).await.map_err(body_error)?;
        if n == 0 {
            return Ok(());
        }
        if (body.len() + n) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&buffer[..n]);
    }
}

/// How many decoded bytes one read takes.
const READ_BUFFER: usize = 64 * 1024;

/// The failure of reading a body: the HTTP client's, classified as such, or a body that does not
/// decode from its coding.
fn body_error(err: io::Error) -> UploadError {
    match err.downcast::<reqwest::Error>() {
        Ok(http) => UploadError::from_http(http),
        Err(err) => UploadError::new(
            ErrorCode::ERR_NETWORK,
            format!("the response body does not decode from its Content-Encoding: {err}"),
        ),
    }
}

/// Headers as Node's `IncomingMessage.headers`: lower-case names in arrival order, repeats
/// joined with `", "`, `set-cookie` always an array. Values are decoded as Latin-1, like Node.
/// A body that is decoded comes without its `Content-Encoding` and `Content-Length` (they no
/// longer describe it).
pub fn header_object(headers: &HeaderMap) -> Value {
    let decoded = coding_of(headers).is_some();
    let mut object = Map::new();
    for name in headers.keys() {
        if decoded && (name == CONTENT_ENCODING || name == CONTENT_LENGTH) {
            continue;
        }
        let mut values = headers.get_all(name).iter().map(|v| latin1(v.as_bytes()));
        let value = if name == SET_COOKIE {
            Value::Array(values.map(Value::String).collect())
        } else {
            let first = values.next().unwrap_or_default();
            Value::String(values.fold(first, |acc, v| acc + ", " + &v))
        };
        object.insert(name.as_str().to_string(), value);
    }
    Value::Object(object)
}

/// The `Set-Cookie` values of a response.
pub fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| latin1(v.as_bytes()))
        .collect()
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn repeats_are_joined_and_cookies_are_arrays() {
        let mut h = HeaderMap::new();
        h.append("x-b", HeaderValue::from_static("1"));
        h.append("set-cookie", HeaderValue::from_static("a=1"));
        h.append("x-b", HeaderValue::from_static("2"));
        h.append("set-cookie", HeaderValue::from_static("b=2"));
        h.append("content-type", HeaderValue::from_static("text/plain"));
        let o = header_object(&h);
        assert_eq!(o["x-b"], "1, 2");
        assert_eq!(o["set-cookie"], serde_json::json!(["a=1", "b=2"]));
        assert_eq!(o["content-type"], "text/plain");
        let names: Vec<&String> = o.as_object().unwrap().keys().collect();
        assert_eq!(names, ["x-b", "set-cookie", "content-type"]);
        assert_eq!(cookies(&h), ["a=1", "b=2"]);
    }

    #[test]
    fn a_decoded_body_loses_its_coding_and_length_headers() {
        let mut h = HeaderMap::new();
        h.append("content-encoding", HeaderValue::from_static("GZIP"));
        h.append("content-length", HeaderValue::from_static("20"));
        h.append("content-type", HeaderValue::from_static("text/plain"));
        let o = header_object(&h);
        assert_eq!(o, serde_json::json!({ "content-type": "text/plain" }));
        h.insert("content-encoding", HeaderValue::from_static("compress"));
        assert_eq!(header_object(&h)["content-encoding"], "compress");
        assert_eq!(header_object(&h)["content-length"], "20");
    }

    #[test]
    fn values_are_latin1() {
        let mut h = HeaderMap::new();
        h.append("x-l", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        assert_eq!(header_object(&h)["x-l"], "café");
    }
}
