//! What JavaScript passes to `UploadTask.start`, and its validation into a [`UploadPlan`].
//!
//! `lib/options.js` checks the types (with WeChat's `parameter error` wording) and turns `header` and
//! `formData` into string pairs; this module owns every rule about values (docs/API.md §2): the
//! URL's scheme, non-empty `name` and `filePath`, header names that are HTTP tokens, header
//! values as Node takes them (`header_value`), the deadline with its default, and one rule for
//! every number of milliseconds (`millis`). `record.rs` lists the options, with these defaults,
//! for the JavaScript type checks and the docs.

mod record;

use std::time::Duration;

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use crate::clients::{ClientKey, ExtraRoots};
use crate::credentials::{add_unless_set, take_basic_auth};
use crate::error::UploadError;
use crate::proxy::{self, proxy_schemes, ProxyChoice, ProxyVariables};
use crate::retry::RetryPolicy;

/// One `name: value` pair, as a string pair.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NameValue {
    /// The header or form field name.
    pub name: String,
    /// Its value, already converted to a string.
    pub value: String,
}

/// The normalized options of one upload, as `lib/options.js` hands them to the native task.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct UploadRequest {
    /// `http:` or `https:` URL to POST to.
    pub url: String,
    /// Path of the file to send.
    pub file_path: String,
    /// Multipart field name of the file part.
    pub name: String,
    /// `filename` of the file part.
    pub file_name: String,
    /// `fileContentType`: the `Content-Type` of the file part; absent or empty means guessed.
    pub file_content_type: Option<String>,
    /// Request headers in the caller's order.
    pub header: Vec<NameValue>,
    /// Text fields sent before the file, in order.
    pub form_data: Vec<NameValue>,
    /// The caller's `timeout` in milliseconds, counted from the task's creation: absent or `0`
    /// means the default, `Infinity` means none.
    pub timeout: Option<f64>,
    /// The caller's `idleTimeout` in milliseconds: absent, `0` or `Infinity` means none.
    pub idle_timeout: Option<f64>,
    /// The caller's `connectTimeout` in milliseconds: absent, `0` or `Infinity` means none.
    pub connect_timeout: Option<f64>,
    /// The caller's `maxBytesPerSecond`: absent, `0` or `Infinity` means no limit.
    pub max_bytes_per_second: Option<f64>,
    /// Extra trusted roots for this upload, as PEM texts (`ca`); absent means none.
    pub ca: Option<Vec<String>>,
    /// `enableHttp2`: negotiate HTTP/2 by ALPN over `https:`; absent means HTTP/1.1.
    pub enable_http2: Option<bool>,
    /// `enableQuic`: HTTP/3 to `https:` origins, over TCP when QUIC does not come up.
    pub enable_quic: Option<bool>,
    /// The caller's `maxResponseBytes`: absent means the default, `Infinity` as much as a
    /// JavaScript string can hold.
    pub max_response_bytes: Option<f64>,
    /// `maxRedirects`: how many redirects are followed; absent means the default, `0` returns
    /// the 3xx response as the result.
    pub max_redirects: Option<f64>,
    /// `proxy`: a proxy URL for every request of this upload, or `false` for none; absent means
    /// the proxy environment variables.
    pub proxy: Option<Either<String, bool>>,
    /// `retry`: absent means no retries.
    pub retry: Option<RetryRequest>,
    /// `enableProfile`: add the request's timings to the result.
    pub enable_profile: Option<bool>,
    /// `expectContinue`: `false` sends no `Expect: 100-continue` (`src/expect.rs`); absent
    /// means on.
    pub expect_continue: Option<bool>,
    /// The variables of `proxyVariables()` (`src/proxy.rs`) that `process.env` has, copied when the upload
    /// started; read only when `proxy` is absent.
    pub environment: Option<Vec<NameValue>>,
}

/// The caller's `retry` option.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RetryRequest {
    /// How many times a failed attempt may be repeated (absent: the default).
    pub limit: Option<f64>,
    /// The wait before the first repeat in milliseconds, doubled for each next one (absent: the
    /// default).
    pub backoff: Option<f64>,
    /// The longest `Retry-After` honoured in milliseconds (absent: the default); a longer one
    /// ends the retries with the 429/503 response as the result.
    pub max_retry_after: Option<f64>,
}

// The defaults of the options: `record.rs` shows them to JavaScript and the docs.

/// The deadline when the caller gives none (Taro's and WeChat's).
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(60_000);

/// The largest response body kept when the caller gives no `maxResponseBytes`.
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The most bytes a response body may have so that its text fits a JavaScript string: V8's
/// longest string is 2^29 - 24 UTF-16 units, and UTF-8 decoding never yields more units than bytes.
const MAX_STRING_BYTES: u64 = (1 << 29) - 24;

/// How many redirects are followed when the caller gives no `maxRedirects` (as browsers and got
/// cap them, at 20 and 10).
const DEFAULT_MAX_REDIRECTS: u32 = 10;

/// A `retry` option's defaults: repeats, first wait, longest `Retry-After` honoured.
const DEFAULT_RETRY_LIMIT: u32 = 2;
const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(1000);
const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_millis(60_000);

/// The longest duration a caller's number of milliseconds stands for: a longer one (`1e22`,
/// `Number.MAX_VALUE`) counts as `Infinity`, so every duration of a plan can be added to an
/// `Instant` (about 100 years: 36,525 days).
const LONGEST: Duration = Duration::from_secs(36_525 * 24 * 60 * 60);

/// The slowest pace `maxBytesPerSecond` takes, in bytes per second.
const SLOWEST_RATE: f64 = 1.0;

/// Headers the upload always sets itself; a caller's value for them is dropped.
const OWN_HEADERS: [&str; 4] = [
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
];

/// A validated request, ready to send.
#[derive(Debug)]
pub struct UploadPlan {
    /// Where to send it.
    pub url: Url,
    /// Path of the file to send.
    pub file_path: String,
    /// Multipart field name of the file part.
    pub field_name: String,
    /// `filename` of the file part.
    pub file_name: String,
    /// The `Content-Type` of the file part the caller chose; `None` to guess it.
    pub file_content_type: Option<String>,
    /// Caller headers, minus the upload's own.
    pub headers: HeaderMap,
    /// Text fields, in order.
    pub form_fields: Vec<(String, String)>,
    /// How long the whole upload may take; `None` for no deadline.
    pub timeout: Option<Duration>,
    /// How long nothing may move before the upload fails; `None` for no limit.
    pub idle_timeout: Option<Duration>,
    /// How long setting up each new connection may take (`reuse.rs`); `None` for no limit.
    pub connect_timeout: Option<Duration>,
    /// The pace of the body in bytes per second; `None` for full speed.
    pub max_bytes_per_second: Option<f64>,
    /// The largest response body accepted, decoded.
    pub max_response_bytes: u64,
    /// How many redirects are followed; `0` returns a 3xx as the result.
    pub max_redirects: u32,
    /// When a failed attempt is repeated; `None` for never.
    pub retry: Option<RetryPolicy>,
    /// Whether the result carries the timings (`enableProfile`).
    pub profile: bool,
    /// Whether large HTTP/1.1 bodies wait for `100 Continue` (`expectContinue`).
    pub expect_continue: bool,
    /// The settings that choose the client: extra roots, HTTP/2, the proxy.
    pub client: ClientKey,
}

impl UploadRequest {
    /// Checks the request and builds the plan, or says which parameter is wrong.
    pub fn validate(self) -> Result<UploadPlan, UploadError> {
        self.reject_nul()?;
        let mut url = parse_url(&self.url)?;
        let url_credentials = take_basic_auth(&mut url);
        if self.name.is_empty() {
            return Err(UploadError::invalid_value(
                "parameter.name should be a non-empty String",
            ));
        }
        if self.file_path.is_empty() {
            return Err(UploadError::invalid_value(
                "parameter.filePath should be a non-empty String",
            ));
        }
        // QUIC is TLS only, and never bypasses a proxy.
        let quic = self.enable_quic.unwrap_or(false) && url.scheme() == "https";
        Ok(UploadPlan {
            url,
            file_path: self.file_path,
            field_name: self.name,
            file_name: self.file_name,
            file_content_type: file_content_type(self.file_content_type)?,
            headers: {
                let mut headers = header_map(&self.header)?;
                add_unless_set(&mut headers, url_credentials);
                headers
            },
            form_fields: self
                .form_data
                .into_iter()
                .map(|f| (f.name, f.value))
                .collect(),
            timeout: deadline(self.timeout)?,
            idle_timeout: limit("idleTimeout", self.idle_timeout)?,
            connect_timeout: limit("connectTimeout", self.connect_timeout)?,
            max_bytes_per_second: rate_limit(self.max_bytes_per_second)?,
            max_response_bytes: response_limit(self.max_response_bytes)?,
            max_redirects: redirect_limit(self.max_redirects)?,
            retry: self.retry.map(retry_policy).transpose()?,
            profile: self.enable_profile.unwrap_or(false),
            expect_continue: self.expect_continue.unwrap_or(true),
            client: client_key(
                ExtraRoots::from_pem(self.ca.unwrap_or_default())?,
                self.enable_http2.unwrap_or(false),
                quic,
                proxy_choice(self.proxy, proxy_env(self.environment.as_deref()))?,
            ),
        })
    }

    /// A NUL byte in any string would be cut short or misread by the layers below (file paths
    /// end at it): reject it before anything is opened.
    fn reject_nul(&self) -> Result<(), UploadError> {
        let scalars = [
            ("url", &self.url),
            ("filePath", &self.file_path),
            ("name", &self.name),
            ("fileName", &self.file_name),
        ];
        // Header values have their own rule, Node's (`header_value`): NUL is ERR_INVALID_CHAR.
        let pairs = [
            ("header", &self.header, false),
            ("formData", &self.form_data, true),
        ];
        let named =
            scalars
                .into_iter()
                .map(|(p, v)| (p, v.as_str()))
                .chain(pairs.into_iter().flat_map(|(p, list, values)| {
                    list.iter().flat_map(move |nv| {
                        [
                            Some((p, nv.name.as_str())),
                            values.then_some((p, nv.value.as_str())),
                        ]
                        .into_iter()
                        .flatten()
                    })
                }));
        for (param, value) in named {
            if value.contains('\0') {
                return Err(UploadError::invalid_value(format!(
                    "parameter.{param} should not contain a NUL character"
                )));
            }
        }
        Ok(())
    }
}

/// The URL, if it parses and is `http:` or `https:`. The text of a URL that does not parse is
/// never repeated in the error: it may hold a password or a signed query.
fn parse_url(raw: &str) -> Result<Url, UploadError> {
    let url = Url::parse(raw).map_err(|e| {
        UploadError::invalid_value(format!("parameter.url is not a valid URL ({e})"))
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(UploadError::invalid_value(format!(
            "parameter.url should use http: or https:, not {other}:"
        ))),
    }
}

/// Builds the header map, rejecting names that are not tokens and values Node refuses.
fn header_map(pairs: &[NameValue]) -> Result<HeaderMap, UploadError> {
    let mut map = HeaderMap::new();
    for pair in pairs {
        let name = HeaderName::from_bytes(pair.name.as_bytes()).map_err(|_| {
            UploadError::invalid_value(format!(
                "parameter.header has an invalid name {:?}",
                pair.name
            ))
        })?;
        let value = header_value(&pair.name, &pair.value)?;
        if OWN_HEADERS.contains(&name.as_str()) {
            continue;
        }
        map.append(name, value);
    }
    Ok(map)
}

/// The value of the header `name` as Node checks and sends one (`checkInvalidHeaderChar` in its
/// `_http_common.js`): every character is a tab, U+0020-U+007E, or U+0080-U+00FF, which goes as
/// that one Latin-1 byte (`é` is the byte 0xE9). Any other character (CR, LF, NUL, another
/// control character, DEL, or one above U+00FF) is `ERR_INVALID_CHAR`, naming the header.
fn header_value(name: &str, value: &str) -> Result<HeaderValue, UploadError> {
    let mut bytes = Vec::with_capacity(value.len());
    for character in value.chars() {
        match u8::try_from(u32::from(character)) {
            Ok(byte) if byte == b'\t' || (0x20..=0x7e).contains(&byte) || byte >= 0x80 => {
                bytes.push(byte)
            }
            _ => return Err(UploadError::invalid_char(name, character)),
        }
    }
    // Every byte left is one a header value takes: this cannot fail.
    HeaderValue::from_bytes(&bytes).map_err(|_| UploadError::invalid_char(name, '\0'))
}

/// The caller's `Content-Type` of the file part: a header value (it is written into the part's
/// head, so CR and LF would forge headers); absent or empty is `None`, guessed from the names.
fn file_content_type(value: Option<String>) -> Result<Option<String>, UploadError> {
    match value {
        Some(text) if !text.is_empty() => match HeaderValue::from_str(&text) {
            Ok(_) => Ok(Some(text)),
            Err(_) => Err(UploadError::invalid_value(
                "parameter.fileContentType has an invalid value (CR, LF, NUL and other control characters are not allowed)",
            )),
        },
        _ => Ok(None),
    }
}

/// The proxy settings of the copied environment variables.
fn proxy_env(vars: Option<&[NameValue]>) -> ProxyVariables {
    ProxyVariables::from_pairs(
        vars.unwrap_or_default()
            .iter()
            .map(|nv| (nv.name.as_str(), nv.value.as_str())),
    )
}

/// The settings of the upload's client. HTTP/3 only without a proxy: QUIC would go around it.
fn client_key(ca: ExtraRoots, http2: bool, quic: bool, proxy: ProxyChoice) -> ClientKey {
    ClientKey {
        ca,
        http2,
        quic: quic && proxy == ProxyChoice::None,
        proxy,
        ..ClientKey::default()
    }
}

/// Which proxy the upload goes through: the `proxy` option's URL, none for `false`, else the
/// environment's. A URL that cannot be used is an error that does not repeat it (it may hold a
/// password).
fn proxy_choice(
    option: Option<Either<String, bool>>,
    env: ProxyVariables,
) -> Result<ProxyChoice, UploadError> {
    match option {
        Some(Either::A(url)) => {
            proxy_url("parameter.proxy", &url)?;
            Ok(ProxyChoice::Fixed(url))
        }
        Some(Either::B(false)) => Ok(ProxyChoice::None),
        Some(Either::B(true)) => Err(UploadError::invalid_value(
            "parameter.proxy should be a proxy URL or false",
        )),
        None => {
            for (scope, url) in env.urls() {
                let name = scope.variable();
                proxy_url(&format!("the environment variable {name}"), url)?;
            }
            Ok(env.into_choice())
        }
    }
}

/// Checks that `url` is a proxy URL of one of the [`proxy_schemes`] (a URL without a scheme is
/// `http:`, as curl reads it); `what` names where it came from.
fn proxy_url(what: &str, url: &str) -> Result<(), UploadError> {
    match proxy::proxy_url(url) {
        Ok(parsed) if proxy_schemes().any(|s| s == parsed.scheme()) && parsed.has_host() => Ok(()),
        Ok(_) => Err(UploadError::invalid_value(format!(
            "{what} should be a proxy URL with one of the schemes {}",
            proxy_schemes()
                .map(|s| format!("{s}:"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(e) => Err(UploadError::invalid_value(format!(
            "{what} is not a valid proxy URL ({e})"
        ))),
    }
}

/// A count option as given: `None` when absent; a non-negative integer, `Infinity` (or anything
/// past `u32::MAX`) for no limit.
fn count(name: &str, value: Option<f64>) -> Result<Option<u32>, UploadError> {
    match non_negative(name, value)? {
        Some(n) if n.fract() != 0.0 && n.is_finite() => Err(UploadError::invalid_value(format!(
            "parameter.{name} should be an integer, got {n}"
        ))),
        other => Ok(other.map(|n| n.min(f64::from(u32::MAX)) as u32)),
    }
}

/// The redirect limit: absent is the default.
fn redirect_limit(max: Option<f64>) -> Result<u32, UploadError> {
    Ok(count("maxRedirects", max)?.unwrap_or(DEFAULT_MAX_REDIRECTS))
}

/// The retry policy of a `retry` option; a `limit` of 0 is no retries.
fn retry_policy(retry: RetryRequest) -> Result<RetryPolicy, UploadError> {
    let limit = count("retry.limit", retry.limit)?.unwrap_or(DEFAULT_RETRY_LIMIT);
    let backoff = non_negative("retry.backoff", retry.backoff)?
        .map_or(Some(DEFAULT_RETRY_BACKOFF), millis)
        .unwrap_or(LONGEST);
    let max_retry_after = non_negative("retry.maxRetryAfter", retry.max_retry_after)?
        .map_or(Some(DEFAULT_MAX_RETRY_AFTER), millis)
        .unwrap_or(LONGEST);
    Ok(RetryPolicy {
        limit,
        backoff,
        max_retry_after,
    })
}

/// A number option as given: `None` when absent; negative and `NaN` are parameter errors.
fn non_negative(name: &str, value: Option<f64>) -> Result<Option<f64>, UploadError> {
    match value {
        Some(v) if v.is_nan() || v < 0.0 => Err(UploadError::invalid_value(format!(
            "parameter.{name} should be a non-negative Number, got {v}"
        ))),
        other => Ok(other),
    }
}

/// The one rule for a caller's (non-negative) milliseconds: a duration up to [`LONGEST`];
/// anything longer, `Infinity` included, is `None`, "no limit", which each option reads by its
/// meaning. The smallest positive numbers are a zero duration.
fn millis(ms: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0)
        .ok()
        .filter(|d| *d <= LONGEST)
}

/// The deadline: absent or `0` is the default, `Infinity` none.
fn deadline(timeout_ms: Option<f64>) -> Result<Option<Duration>, UploadError> {
    Ok(match non_negative("timeout", timeout_ms)? {
        None | Some(0.0) => Some(DEFAULT_TIMEOUT),
        Some(ms) => millis(ms),
    })
}

/// A limit whose absence, `0` and `Infinity` are none (`idleTimeout`, `connectTimeout`): the
/// option `name`'s value.
fn limit(name: &str, timeout_ms: Option<f64>) -> Result<Option<Duration>, UploadError> {
    Ok(match non_negative(name, timeout_ms)? {
        None | Some(0.0) => None,
        Some(ms) => millis(ms),
    })
}

/// The pace: absent, `0` and `Infinity` are none (full speed); a rate below [`SLOWEST_RATE`]
/// is a parameter error (its frames would be due after the end of time).
fn rate_limit(rate: Option<f64>) -> Result<Option<f64>, UploadError> {
    match non_negative("maxBytesPerSecond", rate)? {
        Some(r) if r > 0.0 && r < SLOWEST_RATE => Err(UploadError::invalid_value(format!(
            "parameter.maxBytesPerSecond should be at least {SLOWEST_RATE} (byte per second), or 0 or Infinity for no limit, got {r}"
        ))),
        other => Ok(other.filter(|r| *r > 0.0 && r.is_finite())),
    }
}

/// The response size limit: absent is the default, `Infinity` (or anything larger) as much as a
/// string can hold.
fn response_limit(max: Option<f64>) -> Result<u64, UploadError> {
    Ok(match non_negative("maxResponseBytes", max)? {
        None => DEFAULT_MAX_RESPONSE_BYTES,
        Some(n) => n.min(MAX_STRING_BYTES as f64) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str, value: &str) -> NameValue {
        NameValue {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn header_names_must_be_tokens() {
        assert!(header_map(&[pair("X Bad", "v")]).is_err());
        assert!(header_map(&[pair("X-Bad\r\nInjected", "v")]).is_err());
        assert!(header_map(&[pair("", "v")]).is_err());
        assert!(header_map(&[pair("X-Good_1", "v")]).is_ok());
    }

    #[test]
    fn header_values_are_checked_as_node_checks_them() {
        for (bad, code) in [
            ("a\r\nX-Injected: 1", 0x0d),
            ("a\nb", 0x0a),
            ("a\rb", 0x0d),
            ("a\0b", 0),
            ("a\x1fb", 0x1f),
            ("a\x7fb", 0x7f),
            ("Bearer \u{2026}", 0x2026),
            ("\u{0100}", 0x100),
            ("emoji \u{1F600}", 0x1F600),
        ] {
            let err = header_map(&[pair("X-A", bad)]).unwrap_err();
            assert_eq!(
                err.code,
                crate::error::ErrorCode::ERR_INVALID_CHAR,
                "{bad:?}"
            );
            assert!(
                err.reason
                    .starts_with("parameter error: parameter.header[\"X-A\"] has an invalid"),
                "{}",
                err.reason
            );
            assert!(
                err.reason.contains(&format!("(U+{code:04X})")),
                "{}",
                err.reason
            );
        }
        let map = header_map(&[pair("X-A", "tab\tand ünïcode \u{80}\u{ff} ~")]).unwrap();
        let sent = map.get("x-a").unwrap().as_bytes();
        assert_eq!(
            sent, b"tab\tand \xfcn\xefcode \x80\xff ~",
            "Latin-1, one byte each"
        );
    }

    #[test]
    fn own_headers_are_dropped_and_repeats_kept() {
        let map = header_map(&[
            pair("Content-Type", "text/plain"),
            pair("content-length", "3"),
            pair("Host", "evil"),
            pair("Transfer-Encoding", "chunked"),
            pair("X-A", "1"),
            pair("x-a", "2"),
        ])
        .unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map.get_all("x-a").iter().count(), 2);
    }

    #[test]
    fn deadlines() {
        assert_eq!(deadline(None).unwrap(), Some(DEFAULT_TIMEOUT));
        assert_eq!(deadline(Some(0.0)).unwrap(), Some(DEFAULT_TIMEOUT));
        assert_eq!(
            deadline(Some(1500.0)).unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(deadline(Some(f64::INFINITY)).unwrap(), None);
        assert_eq!(deadline(Some(1e300)).unwrap(), None);
        assert!(deadline(Some(-1.0)).is_err());
        assert!(deadline(Some(f64::NAN)).is_err());
    }

    fn request() -> UploadRequest {
        UploadRequest {
            url: "http://127.0.0.1:1/up".into(),
            file_path: "/tmp/f".into(),
            name: "file".into(),
            file_name: "f".into(),
            file_content_type: None,
            header: vec![pair("X-A", "1")],
            form_data: vec![pair("k", "v")],
            timeout: None,
            idle_timeout: None,
            connect_timeout: None,
            max_bytes_per_second: None,
            max_response_bytes: None,
            ca: None,
            enable_http2: None,
            enable_quic: None,
            max_redirects: None,
            proxy: None,
            retry: None,
            enable_profile: None,
            expect_continue: None,
            environment: None,
        }
    }

    #[test]
    fn enable_quic_offers_http3_to_https_urls_without_a_proxy_only() {
        let quic = |url: &str, proxy: Option<Either<String, bool>>, on: Option<bool>| {
            let mut r = request();
            r.url = url.into();
            r.proxy = proxy;
            r.enable_quic = on;
            r.validate().unwrap().client.quic
        };
        let https = "https://127.0.0.1:1/up";
        assert!(quic(https, None, Some(true)));
        assert!(!quic(https, None, None));
        assert!(!quic(https, None, Some(false)));
        assert!(!quic("http://127.0.0.1:1/up", None, Some(true)));
        let proxied = Some(Either::A("http://127.0.0.1:2".to_string()));
        assert!(!quic(https, proxied, Some(true)));
        assert!(quic(https, Some(Either::B(false)), Some(true)));
    }

    #[test]
    fn the_urls_credentials_are_basic_auth_unless_the_caller_has_authorization() {
        let mut r = request();
        r.url = "http://user:p%C3%A4ss@127.0.0.1:1/up".into();
        let plan = r.validate().unwrap();
        assert_eq!(
            plan.url.as_str(),
            "http://127.0.0.1:1/up",
            "no userinfo left"
        );
        assert_eq!(plan.headers["authorization"], "Basic dXNlcjpww6Rzcw==");
        assert_eq!(plan.headers["x-a"], "1");
        let mut r = request();
        r.url = "http://user:pw@127.0.0.1:1/up".into();
        r.header.push(pair("authorization", "Bearer mine"));
        let plan = r.validate().unwrap();
        let sent: Vec<_> = plan.headers.get_all("authorization").iter().collect();
        assert_eq!(sent, ["Bearer mine"], "the caller's wins, alone");
        assert_eq!(plan.url.as_str(), "http://127.0.0.1:1/up");
    }

    #[test]
    fn a_nul_in_any_string_is_a_parameter_error() {
        assert!(request().validate().is_ok());
        let cases: [fn(&mut UploadRequest); 6] = [
            |r| r.url.push('\0'),
            |r| r.file_path.push('\0'),
            |r| r.name.push('\0'),
            |r| r.file_name.push('\0'),
            |r| r.form_data[0].name.push('\0'),
            |r| r.form_data[0].value.push('\0'),
        ];
        for corrupt in cases {
            let mut r = request();
            corrupt(&mut r);
            let err = r.validate().unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::ERR_INVALID_ARG_VALUE);
            assert!(err.reason.contains("NUL"), "{}", err.reason);
        }
    }

    #[test]
    fn idle_limits() {
        assert_eq!(limit("idleTimeout", None).unwrap(), None);
        assert_eq!(limit("idleTimeout", Some(0.0)).unwrap(), None);
        assert_eq!(limit("idleTimeout", Some(f64::INFINITY)).unwrap(), None);
        assert_eq!(
            limit("idleTimeout", Some(250.0)).unwrap(),
            Some(Duration::from_millis(250))
        );
        assert!(limit("idleTimeout", Some(-1.0)).is_err());
        assert!(limit("idleTimeout", Some(f64::NAN)).is_err());
    }

    #[test]
    fn connect_limits() {
        let mut r = request();
        r.connect_timeout = Some(300.0);
        let plan = r.validate().unwrap();
        assert_eq!(plan.connect_timeout, Some(Duration::from_millis(300)));
        for none in [None, Some(0.0), Some(f64::INFINITY)] {
            let mut r = request();
            r.connect_timeout = none;
            assert_eq!(r.validate().unwrap().connect_timeout, None);
        }
        let mut r = request();
        r.connect_timeout = Some(-1.0);
        let err = r.validate().unwrap_err();
        assert!(err.reason.contains("parameter.connectTimeout"), "{err}");
    }

    #[test]
    fn rate_limits() {
        assert_eq!(rate_limit(None).unwrap(), None);
        assert_eq!(rate_limit(Some(0.0)).unwrap(), None);
        assert_eq!(rate_limit(Some(f64::INFINITY)).unwrap(), None);
        assert_eq!(rate_limit(Some(1024.0)).unwrap(), Some(1024.0));
        assert!(rate_limit(Some(-1.0)).is_err());
        assert!(rate_limit(Some(f64::NAN)).is_err());
    }

    #[test]
    fn durations_past_a_century_are_no_limit() {
        for huge in [1e22, f64::MAX, f64::INFINITY] {
            assert_eq!(deadline(Some(huge)).unwrap(), None);
            assert_eq!(limit("idleTimeout", Some(huge)).unwrap(), None);
        }
        assert_eq!(deadline(Some(5e-324)).unwrap(), Some(Duration::ZERO));
        assert_eq!(
            limit("idleTimeout", Some(5e-324)).unwrap(),
            Some(Duration::ZERO)
        );
        assert_eq!(millis(LONGEST.as_millis() as f64), Some(LONGEST));
        assert_eq!(millis(LONGEST.as_millis() as f64 * 1.01), None);
        let policy = retry_policy(RetryRequest {
            backoff: Some(1e22),
            max_retry_after: Some(f64::MAX),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((policy.backoff, policy.max_retry_after), (LONGEST, LONGEST));
    }

    #[test]
    fn rates_below_one_byte_per_second_are_parameter_errors() {
        for slow in [1e-20, 5e-324, 0.5] {
            let err = rate_limit(Some(slow)).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::ERR_INVALID_ARG_VALUE);
            assert!(err.reason.contains("maxBytesPerSecond"), "{}", err.reason);
        }
        assert_eq!(rate_limit(Some(1.0)).unwrap(), Some(1.0));
        assert_eq!(rate_limit(Some(f64::MAX)).unwrap(), Some(f64::MAX));
    }

    #[test]
    fn a_file_content_type_is_a_header_value() {
        assert_eq!(file_content_type(None).unwrap(), None);
        assert_eq!(file_content_type(Some(String::new())).unwrap(), None);
        assert_eq!(
            file_content_type(Some("image/png; q=1".into())).unwrap(),
            Some("image/png; q=1".into())
        );
        for bad in ["a\r\nX-Injected: 1", "a\nb", "a\0b", "a\u{7f}b"] {
            let err = file_content_type(Some(bad.into())).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::ERR_INVALID_ARG_VALUE);
        }
    }

    /// A caller's number: any `f64`, with the extremes drawn often.
    fn number() -> impl proptest::strategy::Strategy<Value = Option<f64>> {
        use proptest::prelude::*;
        proptest::option::of(prop_oneof![
            proptest::num::f64::ANY,
            Just(0.0),
            Just(5e-324),
            Just(1e22),
            Just(f64::MAX),
            Just(f64::INFINITY),
        ])
    }

    /// Whether `now + d` can be computed (tokio's and std's `Instant` add without checking).
    fn usable(d: Duration) -> bool {
        std::time::Instant::now().checked_add(d).is_some()
    }

    proptest::proptest! {
        #[test]
        fn any_numbers_give_a_usable_plan_or_a_parameter_error(
            timeout in number(),
            idle in number(),
            connect in number(),
            rate in number(),
            response in number(),
            redirects in number(),
            limit in number(),
            backoff in number(),
            retry_after in number(),
        ) {
            let mut r = request();
            r.timeout = timeout;
            r.idle_timeout = idle;
            r.connect_timeout = connect;
            r.max_bytes_per_second = rate;
            r.max_response_bytes = response;
            r.max_redirects = redirects;
            r.retry = Some(RetryRequest { limit, backoff, max_retry_after: retry_after });
            match r.validate() {
                Err(err) => proptest::prop_assert_eq!(err.code, crate::error::ErrorCode::ERR_INVALID_ARG_VALUE),
                Ok(plan) => {
                    let retry = plan.retry.unwrap();
                    let durations = [plan.timeout, plan.idle_timeout, plan.connect_timeout, Some(retry.backoff), Some(retry.max_retry_after)];
                    proptest::prop_assert!(durations.into_iter().flatten().all(usable), "{:?}", durations);
                    proptest::prop_assert!(plan.max_response_bytes <= MAX_STRING_BYTES);
                    if let Some(rate) = plan.max_bytes_per_second {
                        // The pace of the last byte of a 8 PiB file is still an instant.
                        let last = Duration::try_from_secs_f64((1u64 << 53) as f64 / rate);
                        proptest::prop_assert!(rate.is_finite() && last.is_ok_and(usable), "{}", rate);
                    }
                }
            }
        }
    }

    #[test]
    fn response_limits() {
        assert_eq!(response_limit(None).unwrap(), DEFAULT_MAX_RESPONSE_BYTES);
        assert_eq!(response_limit(Some(10.7)).unwrap(), 10);
        assert_eq!(
            response_limit(Some(f64::INFINITY)).unwrap(),
            MAX_STRING_BYTES
        );
        assert!(response_limit(Some(-1.0)).is_err());
        assert!(response_limit(Some(f64::NAN)).is_err());
    }

    #[test]
    fn redirect_limits() {
        assert_eq!(redirect_limit(None).unwrap(), DEFAULT_MAX_REDIRECTS);
        assert_eq!(redirect_limit(Some(0.0)).unwrap(), 0);
        assert_eq!(redirect_limit(Some(3.0)).unwrap(), 3);
        assert_eq!(redirect_limit(Some(f64::INFINITY)).unwrap(), u32::MAX);
        assert!(redirect_limit(Some(1.5)).is_err());
        assert!(redirect_limit(Some(-1.0)).is_err());
    }

    #[test]
    fn retry_policies() {
        let default = retry_policy(RetryRequest::default()).unwrap();
        assert_eq!(default.limit, DEFAULT_RETRY_LIMIT);
        assert_eq!(default.backoff, DEFAULT_RETRY_BACKOFF);
        assert_eq!(default.max_retry_after, DEFAULT_MAX_RETRY_AFTER);
        let given = retry_policy(RetryRequest {
            limit: Some(5.0),
            backoff: Some(10.0),
            max_retry_after: Some(f64::INFINITY),
        })
        .unwrap();
        assert_eq!(given.limit, 5);
        assert_eq!(given.backoff, Duration::from_millis(10));
        assert_eq!(given.max_retry_after, LONGEST);
        for bad in [
            RetryRequest {
                limit: Some(1.5),
                ..Default::default()
            },
            RetryRequest {
                backoff: Some(-1.0),
                ..Default::default()
            },
            RetryRequest {
                max_retry_after: Some(f64::NAN),
                ..Default::default()
            },
        ] {
            assert!(retry_policy(bad).is_err());
        }
    }

    #[test]
    fn proxy_urls_are_checked_and_never_echoed() {
        assert!(proxy_url("p", "http://user:pw@127.0.0.1:3128").is_ok());
        assert!(proxy_url("p", "127.0.0.1:3128").is_ok());
        assert!(proxy_url("p", "https://proxy.example").is_ok());
        assert!(proxy_url("p", "socks5h://u:secret@127.0.0.1:1080").is_ok());
        assert!(proxy_url("p", "socks4a://proxy.example").is_ok());
        for bad in [
            "socks6://u:secret@h:1",
            "http://u:secret@[bad",
            "ftp://u:secret@h/",
        ] {
            let err = proxy_url("p", bad).unwrap_err();
            assert!(!err.reason.contains("secret"), "{}", err.reason);
        }
    }

    #[test]
    fn the_proxy_option_overrides_the_environment() {
        let env = ProxyVariables {
            https: Some("http://env:1".into()),
            ..ProxyVariables::default()
        };
        assert_eq!(
            proxy_choice(Some(Either::B(false)), env.clone()).unwrap(),
            ProxyChoice::None
        );
        assert_eq!(
            proxy_choice(Some(Either::A("http://p:2".into())), env.clone()).unwrap(),
            ProxyChoice::Fixed("http://p:2".into())
        );
        assert_eq!(
            proxy_choice(None, env.clone()).unwrap(),
            ProxyChoice::Variables(env)
        );
        assert_eq!(
            proxy_choice(None, ProxyVariables::default()).unwrap(),
            ProxyChoice::None
        );
        assert!(proxy_choice(Some(Either::B(true)), ProxyVariables::default()).is_err());
    }

    #[test]
    fn a_url_that_does_not_parse_is_not_echoed() {
        let err = parse_url("http://user:secret@[bad/").unwrap_err();
        assert!(!err.reason.contains("secret"), "{}", err.reason);
    }

    #[test]
    fn urls_must_be_http() {
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("not a url").is_err());
        assert!(parse_url("https://127.0.0.1:1/up").is_ok());
    }
}
