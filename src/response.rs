//! The outcome as JavaScript sees it: Node-style header objects, the success result, and the
//! failure, told apart by an explicit `outcome` field.

use napi_derive::napi;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::Response;
use serde_json::{Map, Value};

use crate::activity::Activity;
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

/// Reads the (decoded) response body into `body`, failing with `ERR_RESPONSE_TOO_LARGE` as soon
/// as it is announced or seen to be larger than `limit`; memory never holds more than `limit`
/// bytes. On a failure, `body` holds what arrived before it.
pub async fn read_body(
    mut response: Response,
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
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    body.reserve(announced.unwrap_or(0).min(limit) as usize);
    while let Some(chunk) = response.chunk().await.map_err(UploadError::from_http)? {
        activity.moved(Phase::receive);
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(())
}

/// Headers as Node's `IncomingMessage.headers`: lower-case names in arrival order, repeats
/// joined with `", "`, `set-cookie` always an array. Values are decoded as Latin-1, like Node.
pub fn header_object(headers: &HeaderMap) -> Value {
    let mut object = Map::new();
    for name in headers.keys() {
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
    fn values_are_latin1() {
        let mut h = HeaderMap::new();
        h.append("x-l", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        assert_eq!(header_object(&h)["x-l"], "café");
    }
}
