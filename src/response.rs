//! The response as JavaScript sees it: Node-style header objects and the success result.

use napi_derive::napi;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Map, Value};

/// What a finished upload resolves with (before `index.js` adds `errMsg`).
#[napi(object)]
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
}

/// What a failed upload resolves the native promise with; `index.js` makes the `Error`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct UploadFailure {
    /// The stable error code, such as `ECONNREFUSED`.
    pub code: String,
    /// The reason that follows `uploadFile:fail `.
    pub reason: String,
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
