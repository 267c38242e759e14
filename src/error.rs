//! Upload failures: a stable [`ErrorCode`] plus a human reason. Every failure of the HTTP stack
//! is classified here, in one place, by the types and kinds in its chain of causes (our own
//! [`UploadError`], reqwest's and hyper's error kinds, rustls' error enum, `std::io::ErrorKind`),
//! never by its message text. JavaScript turns an [`UploadError`] into an `UploadError` instance
//! whose `errMsg` is `uploadFile:fail <reason>` (docs/API.md §9).

use std::error::Error as StdError;
use std::fmt;
use std::io;

use napi_derive::napi;

use crate::connector::DnsFailure;
use crate::phase::Phase;
use crate::reuse::ConnectTimeout;
use crate::transport::SendFailure;

/// The stable `code` of a failed upload, exported to JavaScript as the `ErrorCode` object; each
/// variant's name is the string JavaScript sees as `error.code` (the README's error table lists
/// them, and a test checks that table and `index.d.ts` against this enum).
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `abort()` was called.
    ABORT_ERR,
    /// The `timeout` deadline passed.
    ETIMEDOUT,
    /// An argument has the wrong type.
    ERR_INVALID_ARG_TYPE,
    /// An argument has the right type but a value that cannot be used.
    ERR_INVALID_ARG_VALUE,
    /// A header value has a character Node refuses in one (a control character, or one above
    /// U+00FF): nothing was sent.
    ERR_INVALID_CHAR,
    /// The file does not exist.
    ENOENT,
    /// The file cannot be read with the caller's permissions.
    EACCES,
    /// The path names a directory.
    EISDIR,
    /// A component of the path is not a directory.
    ENOTDIR,
    /// The path has too many levels of symbolic links (a loop).
    ELOOP,
    /// The path, or a component of it, is too long.
    ENAMETOOLONG,
    /// The path names something that is neither a regular file nor a directory (a FIFO, a
    /// socket, a device).
    ERR_NOT_REGULAR_FILE,
    /// The file reports no size (as `/proc` and `/sys` files do) and holds more than can be read
    /// whole before sending.
    ERR_FILE_SIZE_UNKNOWN,
    /// The file's size changed while it was being sent.
    ERR_FILE_CHANGED,
    /// The server refused the connection.
    ECONNREFUSED,
    /// The host name did not resolve.
    ENOTFOUND,
    /// The connection was reset or closed before the response was complete.
    ECONNRESET,
    /// The server closed its side while the body was being written.
    EPIPE,
    /// The server's TLS certificate was rejected.
    ERR_TLS_CERT_INVALID,
    /// The TLS handshake failed for another reason than the certificate: an alert from the
    /// server, bytes that are not TLS (plain HTTP on the TLS port), no common protocol version or
    /// cipher suite.
    ERR_TLS_HANDSHAKE,
    /// The response body is larger than `maxResponseBytes`.
    ERR_RESPONSE_TOO_LARGE,
    /// More redirects than `maxRedirects` allows.
    ERR_TOO_MANY_REDIRECTS,
    /// A redirect from `https:` to `http:`, which would send the file and headers in clear text.
    ERR_INSECURE_REDIRECT,
    /// The proxy did not open a tunnel to the server: it answered `CONNECT` with another status
    /// than 2xx (407 when it wants credentials), or closed the connection; or a SOCKS proxy
    /// refused the handshake (credentials, or the connection it was asked for).
    ERR_PROXY,
    /// Any other network or I/O failure.
    ERR_NETWORK,
    /// A bug in upload-task (a panic in the upload's work): please report it.
    ERR_INTERNAL,
}

impl ErrorCode {
    /// Whether the connection broke under the request (reset, or closed by the server) rather
    /// than the request failing for a reason of its own.
    pub fn is_connection_lost(self) -> bool {
        matches!(self, ErrorCode::ECONNRESET | ErrorCode::EPIPE)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The variant's name is the code.
        fmt::Debug::fmt(self, f)
    }
}

/// Why an upload failed: a code and the reason that follows `uploadFile:fail `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    /// The stable code.
    pub code: ErrorCode,
    /// The reason, without the `uploadFile:fail ` prefix.
    pub reason: String,
    /// For a timeout: where the upload was.
    pub phase: Option<Phase>,
}

impl UploadError {
    /// An error with the given code and reason.
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        UploadError {
            code,
            reason: reason.into(),
            phase: None,
        }
    }

    /// The failure of an aborted task (the only place it is built).
    pub fn abort() -> Self {
        UploadError::new(ErrorCode::ABORT_ERR, "abort")
    }

    /// The failure of an upload whose work panicked (`what` says where): a bug.
    pub fn internal(what: &str) -> Self {
        UploadError::new(
            ErrorCode::ERR_INTERNAL,
            format!("internal error in upload-task ({what}): please report it"),
        )
    }

    /// The failure of a task run on the blocking pool (`what` it did) that did not finish: a
    /// panic is a bug; otherwise the runtime is shutting down.
    pub fn from_join(err: &tokio::task::JoinError, what: &str) -> Self {
        if err.is_panic() {
            return UploadError::internal(what);
        }
        UploadError::new(ErrorCode::ERR_NETWORK, format!("{what} failed: {err}"))
    }

    /// The failure of a task whose deadline or idle time passed, in `phase`.
    pub fn timeout(phase: Phase) -> Self {
        UploadError {
            phase: Some(phase),
            ..UploadError::new(ErrorCode::ETIMEDOUT, "timeout")
        }
    }

    /// A parameter error with a value of the right type that cannot be used.
    pub fn invalid_value(reason: impl fmt::Display) -> Self {
        UploadError::new(
            ErrorCode::ERR_INVALID_ARG_VALUE,
            format!("parameter error: {reason}"),
        )
    }

    /// The failure of the value of the header `name`, which holds `character`, a character Node
    /// refuses in a header value (`ERR_INVALID_CHAR`); the value itself is never repeated.
    pub fn invalid_char(name: &str, character: char) -> Self {
        UploadError::new(
            ErrorCode::ERR_INVALID_CHAR,
            format!(
                "parameter error: parameter.header[{name:?}] has an invalid character (U+{:04X}): a header value takes tab, U+0020-U+007E and U+0080-U+00FF, as in Node",
                u32::from(character)
            ),
        )
    }

    /// The failure of a file whose size changed while it was being sent.
    pub fn file_changed() -> Self {
        UploadError::new(ErrorCode::ERR_FILE_CHANGED, "file changed during upload")
    }

    /// Maps an error from opening or reading the file at `path`, worded as Node words it.
    pub fn from_file_io(err: &io::Error, syscall: &str, path: &str) -> Self {
        let Some((code, text)) = file_error(err) else {
            return UploadError::new(ErrorCode::ERR_NETWORK, format!("{err}, {syscall} '{path}'"));
        };
        if code == ErrorCode::ERR_NOT_REGULAR_FILE {
            return UploadError::not_regular_file(path);
        }
        UploadError::new(code, format!("{code}: {text}, {syscall} '{path}'"))
    }

    /// The failure of a path that is neither a regular file nor a directory.
    pub fn not_regular_file(path: &str) -> Self {
        UploadError::new(
            ErrorCode::ERR_NOT_REGULAR_FILE,
            format!("not a regular file: '{path}'"),
        )
    }

    /// Maps an error from the HTTP client by the types in its chain of causes. A failure raised
    /// by the body itself (abort, a changed file) is returned as it was. The URL in the message
    /// is cut to scheme, host, port and path: no credentials, no query (signed URLs).
    pub fn from_http(mut err: reqwest::Error) -> Self {
        if let Some(own) = causes(&err).find_map(|e| e.downcast_ref::<UploadError>()) {
            return own.clone();
        }
        if let Some(url) = err.url_mut() {
            redact(url);
        }
        UploadError::new(classify(&err), describe(&err))
    }

    /// The failure of a request that got no response, sent through a proxy when `proxied`: a
    /// connection that failed for no reason of the network below (no refused or reset socket,
    /// no TLS error) is then the proxy refusing the tunnel (hyper-util's tunnel error type is
    /// private, so this is known from where the failure happened rather than from its type).
    pub fn from_send(failure: SendFailure, proxied: bool) -> Self {
        let (connecting, own) = match failure {
            SendFailure::Http(err, url) => (err.is_connect(), UploadError::from_client(&err, url)),
            SendFailure::Quic(err) => (false, UploadError::from_http(err)),
            SendFailure::Target(err, mut url) => {
                redact(&mut url);
                let reason = format!("{url} cannot be sent: {err}");
                (false, UploadError::new(ErrorCode::ERR_NETWORK, reason))
            }
        };
        if proxied && connecting && own.code == ErrorCode::ERR_NETWORK {
            return UploadError::new(ErrorCode::ERR_PROXY, own.reason);
        }
        own
    }

    /// Maps an error of the HTTP client (`transport.rs`) for a request to `url` by the types in
    /// its chain of causes, as [`UploadError::from_http`] maps reqwest's.
    fn from_client(err: &hyper_util::client::legacy::Error, mut url: reqwest::Url) -> Self {
        if let Some(own) = causes(err).find_map(|e| e.downcast_ref::<UploadError>()) {
            return own.clone();
        }
        if causes(err).any(|e| e.is::<ConnectTimeout>()) {
            return UploadError::timeout(Phase::connect);
        }
        redact(&mut url);
        let code = if causes(err).any(|e| e.is::<DnsFailure>()) {
            ErrorCode::ENOTFOUND
        } else {
            match causes(err).find_map(code_of_cause) {
                // As in `classify`: over HTTP/2 a broken pipe is a connection lost.
                Some(ErrorCode::EPIPE) if over_http2(err) => ErrorCode::ECONNRESET,
                Some(code) => code,
                None => ErrorCode::ERR_NETWORK,
            }
        };
        let reason = format!("error sending request for url ({url}): {}", describe(err));
        UploadError::new(code, reason)
    }
}

/// The code and Node's wording of a file error, by its kind or, where the kind is too coarse, by
/// its OS error number.
fn file_error(err: &io::Error) -> Option<(ErrorCode, &'static str)> {
    let by_kind = match err.kind() {
        io::ErrorKind::NotFound => Some((ErrorCode::ENOENT, "no such file or directory")),
        io::ErrorKind::PermissionDenied => Some((ErrorCode::EACCES, "permission denied")),
        io::ErrorKind::IsADirectory => {
            Some((ErrorCode::EISDIR, "illegal operation on a directory"))
        }
        io::ErrorKind::NotADirectory => Some((ErrorCode::ENOTDIR, "not a directory")),
        _ => None,
    };
    by_kind.or_else(|| file_error_by_errno(err.raw_os_error()?))
}

#[cfg(unix)]
fn file_error_by_errno(errno: i32) -> Option<(ErrorCode, &'static str)> {
    match errno {
        libc::ELOOP => Some((ErrorCode::ELOOP, "too many symbolic links encountered")),
        libc::ENAMETOOLONG => Some((ErrorCode::ENAMETOOLONG, "name too long")),
        // `open` of a Unix socket, or of a device with no driver behind it.
        libc::ENXIO | libc::ENODEV | libc::EOPNOTSUPP => {
            Some((ErrorCode::ERR_NOT_REGULAR_FILE, ""))
        }
        _ => None,
    }
}

#[cfg(not(unix))]
fn file_error_by_errno(_errno: i32) -> Option<(ErrorCode, &'static str)> {
    None
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.reason)
    }
}

impl StdError for UploadError {}

/// Cuts a URL to what may be shown: scheme, host, port and path.
pub fn redact(url: &mut reqwest::Url) {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
}

/// Every error in the chain, outermost first. An `io::Error` that wraps another error is
/// followed into what it wraps (its own `source()` skips that error and goes to the next one).
fn causes<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| next_cause(e))
}

fn next_cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match err.downcast_ref::<io::Error>() {
        Some(io_err) => io_err
            .get_ref()
            .map(|inner| inner as &(dyn StdError + 'static)),
        None => err.source(),
    }
}

/// The code of a failure of the HTTP stack, decided by the first cause in the chain whose type
/// or kind says what happened.
fn classify(err: &reqwest::Error) -> ErrorCode {
    if err.is_dns() {
        return ErrorCode::ENOTFOUND;
    }
    if err.is_timeout() {
        return ErrorCode::ETIMEDOUT;
    }
    if let Some(code) = causes(err).find_map(code_of_cause) {
        // h2 reports a connection closed under a stream as a broken pipe, whether or not the
        // body was still going: over HTTP/2 that is a connection lost before the response.
        if code == ErrorCode::EPIPE && over_http2(err) {
            return ErrorCode::ECONNRESET;
        }
        return code;
    }
    if err.is_body() || (err.is_decode() && connection_broke_under_body(err)) {
        if causes(err).any(broken_framing) {
            // The server broke HTTP/1.1's framing of the body: a protocol error, not a reset.
            return ErrorCode::ERR_NETWORK;
        }
        // Reading the response body failed and no cause says more: hyper reports a connection
        // that broke under a streaming response as a bare "connection error".
        return ErrorCode::ECONNRESET;
    }
    ErrorCode::ERR_NETWORK
}

/// Whether a failure reading a response body (which reqwest reports as a decoding one) came from
/// hyper, the connection under it, rather than from the content (bytes that do not decode are an
/// `InvalidData` I/O error).
fn connection_broke_under_body(err: &reqwest::Error) -> bool {
    let from_hyper = causes(err).any(|cause| cause.is::<hyper::Error>());
    let bad_content = causes(err).any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::InvalidData)
    });
    from_hyper && !bad_content
}

/// Whether `cause` is hyper's HTTP/1.1 decoder refusing the framing of a body (a chunk size or
/// chunk end that breaks RFC 9112 §7.1): a hyper error whose own cause is an I/O error of kind
/// `InvalidInput` or `InvalidData`, the kinds that decoder gives its verdicts (a connection that
/// ended early is `UnexpectedEof`, a reset `ConnectionReset`).
fn broken_framing(cause: &(dyn StdError + 'static)) -> bool {
    cause.is::<hyper::Error>()
        && cause
            .source()
            .and_then(|inner| inner.downcast_ref::<io::Error>())
            .is_some_and(|io_err| {
                matches!(
                    io_err.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
                )
            })
}

/// What one cause says by its type, if anything.
fn code_of_cause(cause: &(dyn StdError + 'static)) -> Option<ErrorCode> {
    if let Some(io_err) = cause.downcast_ref::<io::Error>() {
        return code_of_io_kind(io_err.kind());
    }
    if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
        return match tls {
            rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType => Some(ErrorCode::ERR_TLS_CERT_INVALID),
            _ => Some(ErrorCode::ERR_TLS_HANDSHAKE),
        };
    }
    if let Some(h2) = cause.downcast_ref::<h2::Error>() {
        // The server's resets and GOAWAY take the stream away before the response: as
        // HTTP/1.1's incomplete message. h2 reports a connection closed under a stream as a
        // broken pipe, whether or not the body was still going: a connection lost, too.
        if h2.is_remote() {
            return Some(ErrorCode::ECONNRESET);
        }
        // h2 itself reset the stream or closed the connection: the server broke HTTP/2's rules
        // (a malformed frame, a body longer or shorter than its `content-length`).
        if h2.is_library() {
            return Some(ErrorCode::ERR_NETWORK);
        }
        return match h2.get_io().and_then(|io| code_of_io_kind(io.kind())) {
            Some(ErrorCode::EPIPE) => Some(ErrorCode::ECONNRESET),
            other => other,
        };
    }
    if let Some(code) = code_of_http3(cause) {
        return Some(code);
    }
    if let Some(h) = cause.downcast_ref::<hyper::Error>() {
        if h.is_parse() {
            return Some(ErrorCode::ERR_NETWORK);
        }
        if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
            return Some(ErrorCode::ECONNRESET);
        }
        if h.is_body_write_aborted() {
            return Some(ErrorCode::EPIPE);
        }
        if h.is_timeout() {
            return Some(ErrorCode::ETIMEDOUT);
        }
    }
    None
}

/// What an HTTP/3 failure says by its type (h3's stream and connection errors, quinn's
/// connection error): a stream or connection the server reset, stopped or closed under the
/// request is a connection lost, like HTTP/1.1's incomplete message; a QUIC idle timeout is a
/// timeout.
fn code_of_http3(cause: &(dyn StdError + 'static)) -> Option<ErrorCode> {
    use h3::error::{ConnectionError as H3Connection, StreamError};
    if let Some(stream) = cause.downcast_ref::<StreamError>() {
        return match stream {
            StreamError::ConnectionError { .. }
            | StreamError::RemoteTerminate { .. }
            | StreamError::RemoteClosing { .. } => Some(ErrorCode::ECONNRESET),
            _ => None,
        };
    }
    if let Some(connection) = cause.downcast_ref::<H3Connection>() {
        return Some(match connection {
            H3Connection::Timeout { .. } => ErrorCode::ETIMEDOUT,
            _ => ErrorCode::ECONNRESET,
        });
    }
    match cause.downcast_ref::<quinn::ConnectionError>()? {
        quinn::ConnectionError::TimedOut => Some(ErrorCode::ETIMEDOUT),
        quinn::ConnectionError::ConnectionClosed(_)
        | quinn::ConnectionError::ApplicationClosed(_)
        | quinn::ConnectionError::Reset
        | quinn::ConnectionError::LocallyClosed => Some(ErrorCode::ECONNRESET),
        _ => None,
    }
}

fn code_of_io_kind(kind: io::ErrorKind) -> Option<ErrorCode> {
    match kind {
        io::ErrorKind::ConnectionRefused => Some(ErrorCode::ECONNREFUSED),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => Some(ErrorCode::ECONNRESET),
        io::ErrorKind::BrokenPipe => Some(ErrorCode::EPIPE),
        io::ErrorKind::TimedOut => Some(ErrorCode::ETIMEDOUT),
        _ => None,
    }
}

/// What a failed HTTP/2 request proves about the server, told by h2's error types (RFC 9113).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http2Failure {
    /// The server reset the stream with `REFUSED_STREAM` (§8.7): it did not process it.
    RefusedStream,
    /// The server's `GOAWAY` named a last stream below this one (§6.8): it did not process it.
    GoawayUnprocessed,
    /// Anything else on an HTTP/2 connection: the server may have processed the request.
    Other,
}

/// How an HTTP/2 request failed; `None` when the failure did not come from HTTP/2.
pub fn http2_failure(failure: &SendFailure) -> Option<Http2Failure> {
    let SendFailure::Http(err, _) = failure else {
        return None;
    };
    let Some(h2) = causes(err).find_map(|e| e.downcast_ref::<h2::Error>()) else {
        // hyper passes on h2's I/O errors (a connection closed under the stream) without h2's
        // type; the connection they came on says it was HTTP/2.
        return over_http2(err).then_some(Http2Failure::Other);
    };
    // h2 gives a stream above a GOAWAY's last stream id the remote GOAWAY as its error; a stream
    // at or below it ends with the connection (an I/O error) or its own frames.
    Some(if !h2.is_remote() {
        Http2Failure::Other
    } else if h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
        Http2Failure::RefusedStream
    } else if h2.is_go_away() {
        Http2Failure::GoawayUnprocessed
    } else {
        Http2Failure::Other
    })
}

/// Whether the request went out on a connection that negotiated HTTP/2.
fn over_http2(err: &(dyn StdError + 'static)) -> bool {
    causes(err)
        .filter_map(|e| e.downcast_ref::<hyper_util::client::legacy::Error>())
        .filter_map(hyper_util::client::legacy::Error::connect_info)
        .any(hyper_util::client::legacy::connect::Connected::is_negotiated_h2)
}

/// One line made of the distinct messages of the chain (for people; never classified).
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes(err) {
        let message = cause.to_string();
        if !parts.iter().any(|p| p.contains(message.as_str())) {
            parts.push(message);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: &(dyn StdError + 'static)) -> Option<ErrorCode> {
        causes(err).find_map(code_of_cause)
    }

    #[test]
    fn quic_connection_errors_are_classified_by_type() {
        let timed_out = quinn::ConnectionError::TimedOut;
        assert_eq!(code_of(&timed_out), Some(ErrorCode::ETIMEDOUT));
        for lost in [
            quinn::ConnectionError::Reset,
            quinn::ConnectionError::LocallyClosed,
        ] {
            assert_eq!(code_of(&lost), Some(ErrorCode::ECONNRESET));
        }
        assert_eq!(code_of(&quinn::ConnectionError::VersionMismatch), None);
        // Wrapped in an I/O error, as a body's transport may pass it on.
        let wrapped = io::Error::other(quinn::ConnectionError::Reset);
        assert_eq!(code_of(&wrapped), Some(ErrorCode::ECONNRESET));
    }

    #[test]
    fn file_errors_are_worded_like_node() {
        let err = io::Error::from(io::ErrorKind::NotFound);
        let mapped = UploadError::from_file_io(&err, "open", "/tmp/x");
        assert_eq!(mapped.code, ErrorCode::ENOENT);
        assert_eq!(
            mapped.reason,
            "ENOENT: no such file or directory, open '/tmp/x'"
        );
    }

    #[test]
    fn codes_display_as_their_names() {
        assert_eq!(ErrorCode::ABORT_ERR.to_string(), "ABORT_ERR");
        assert_eq!(UploadError::abort().to_string(), "ABORT_ERR: abort");
    }

    #[test]
    fn io_kinds_decide_the_code() {
        for (kind, code) in [
            (io::ErrorKind::ConnectionRefused, ErrorCode::ECONNREFUSED),
            (io::ErrorKind::ConnectionReset, ErrorCode::ECONNRESET),
            (io::ErrorKind::UnexpectedEof, ErrorCode::ECONNRESET),
            (io::ErrorKind::BrokenPipe, ErrorCode::EPIPE),
        ] {
            assert_eq!(code_of(&io::Error::from(kind)), Some(code));
        }
        assert_eq!(code_of(&io::Error::from(io::ErrorKind::Other)), None);
    }

    #[test]
    fn a_rustls_error_inside_an_io_error_is_found() {
        // rustls reports through the socket's io::Error, whose own source() would skip it.
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = io::Error::new(io::ErrorKind::InvalidData, tls);
        assert_eq!(code_of(&wrapped), Some(ErrorCode::ERR_TLS_CERT_INVALID));
        let other = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(code_of(&other), Some(ErrorCode::ERR_TLS_HANDSHAKE));
    }

    #[test]
    fn our_own_error_is_found_behind_an_io_error() {
        let wrapped = io::Error::other(UploadError::file_changed());
        let found = causes(&wrapped).find_map(|e| e.downcast_ref::<UploadError>());
        assert_eq!(found.map(|e| e.code), Some(ErrorCode::ERR_FILE_CHANGED));
    }

    #[test]
    fn an_http2_reason_of_our_own_says_nothing() {
        // The server's resets and broken pipes are ECONNRESET (__test__/http2-parity.test.js,
        // http2-streams.test.js: h2 builds those errors only itself).
        let local = h2::Error::from(h2::Reason::PROTOCOL_ERROR);
        assert_eq!(code_of(&local), None);
    }

    #[test]
    fn describe_drops_repeated_messages() {
        let inner = io::Error::other("b");
        assert_eq!(describe(&inner), "b");
    }

    #[tokio::test]
    async fn a_panic_on_the_blocking_pool_is_internal() {
        let joined = tokio::task::spawn_blocking(|| panic!("a bug in a file read")).await;
        let err = UploadError::from_join(&joined.unwrap_err(), "the file read");
        assert_eq!(err.code, ErrorCode::ERR_INTERNAL);
        assert!(err.reason.contains("please report it"), "{}", err.reason);
    }
}
