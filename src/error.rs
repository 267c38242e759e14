//! Upload failures: a stable code plus a human reason, mapped from io and reqwest errors in one
//! place. JavaScript turns an [`UploadError`] into an `Error` whose `errMsg` is
//! `uploadFile:fail <reason>`.

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// The stable `code` of a failed upload, as JavaScript sees it on the rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `abort()` was called.
    Abort,
    /// The `timeout` deadline passed.
    TimedOut,
    /// An argument has the wrong type.
    InvalidArgType,
    /// An argument has the right type but a value that cannot be used.
    InvalidArgValue,
    /// The file does not exist.
    NotFound,
    /// The file cannot be read with the caller's permissions.
    PermissionDenied,
    /// The path names a directory.
    IsDirectory,
    /// The path names something that is neither a regular file nor a directory.
    NotRegularFile,
    /// The file's size changed while it was being sent.
    FileChanged,
    /// The server refused the connection.
    ConnectionRefused,
    /// The host name did not resolve.
    NotFoundHost,
    /// The connection was reset or closed before a response arrived.
    ConnectionReset,
    /// The server closed its side while the body was being written.
    BrokenPipe,
    /// The server's TLS certificate was rejected.
    TlsCertificate,
    /// Any other network or I/O failure.
    Network,
}

impl ErrorCode {
    /// The string JavaScript sees as `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Abort => "ABORT_ERR",
            ErrorCode::TimedOut => "ETIMEDOUT",
            ErrorCode::InvalidArgType => "ERR_INVALID_ARG_TYPE",
            ErrorCode::InvalidArgValue => "ERR_INVALID_ARG_VALUE",
            ErrorCode::NotFound => "ENOENT",
            ErrorCode::PermissionDenied => "EACCES",
            ErrorCode::IsDirectory => "EISDIR",
            ErrorCode::NotRegularFile => "ERR_NOT_REGULAR_FILE",
            ErrorCode::FileChanged => "ERR_FILE_CHANGED",
            ErrorCode::ConnectionRefused => "ECONNREFUSED",
            ErrorCode::NotFoundHost => "ENOTFOUND",
            ErrorCode::ConnectionReset => "ECONNRESET",
            ErrorCode::BrokenPipe => "EPIPE",
            ErrorCode::TlsCertificate => "ERR_TLS_CERT_INVALID",
            ErrorCode::Network => "ERR_NETWORK",
        }
    }
}

/// Why an upload failed: a code and the reason that follows `uploadFile:fail `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    /// The stable code.
    pub code: ErrorCode,
    /// The reason, without the `uploadFile:fail ` prefix.
    pub reason: String,
}

impl UploadError {
    /// An error with the given code and reason.
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        UploadError {
            code,
            reason: reason.into(),
        }
    }

    /// The failure of an aborted task.
    pub fn abort() -> Self {
        UploadError::new(ErrorCode::Abort, "abort")
    }

    /// The failure of a task whose deadline passed.
    pub fn timeout() -> Self {
        UploadError::new(ErrorCode::TimedOut, "timeout")
    }

    /// A parameter error with a value of the right type that cannot be used.
    pub fn invalid_value(reason: impl fmt::Display) -> Self {
        UploadError::new(
            ErrorCode::InvalidArgValue,
            format!("parameter error: {reason}"),
        )
    }

    /// The failure of a file whose size changed while it was being sent.
    pub fn file_changed() -> Self {
        UploadError::new(ErrorCode::FileChanged, "file changed during upload")
    }

    /// Maps an error from opening or reading the file at `path`, worded as Node words it.
    pub fn from_file_io(err: &io::Error, syscall: &str, path: &str) -> Self {
        let (code, text) = match err.kind() {
            io::ErrorKind::NotFound => (ErrorCode::NotFound, "no such file or directory"),
            io::ErrorKind::PermissionDenied => (ErrorCode::PermissionDenied, "permission denied"),
            io::ErrorKind::IsADirectory => {
                (ErrorCode::IsDirectory, "illegal operation on a directory")
            }
            _ => (ErrorCode::Network, ""),
        };
        if text.is_empty() {
            return UploadError::new(code, format!("{err}, {syscall} '{path}'"));
        }
        UploadError::new(
            code,
            format!("{}: {text}, {syscall} '{path}'", code.as_str()),
        )
    }

    /// Maps an error from the HTTP client by walking its chain of causes.
    /// A failure raised by the body itself (abort, a changed file) is returned as it was.
    pub fn from_http(err: &reqwest::Error) -> Self {
        let mut current: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = current {
            if let Some(own) = e.downcast_ref::<UploadError>() {
                return own.clone();
            }
            current = e.source();
        }
        let chain = ErrorChain::of(err);
        let code = classify(&chain);
        UploadError::new(code, chain.describe())
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.reason)
    }
}

impl StdError for UploadError {}

/// The causes of an error, outermost first, with their io kinds where they have one.
struct ErrorChain {
    messages: Vec<String>,
    io_kinds: Vec<io::ErrorKind>,
}

impl ErrorChain {
    fn of(err: &(dyn StdError + 'static)) -> Self {
        let mut messages = Vec::new();
        let mut io_kinds = Vec::new();
        let mut current: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = current {
            messages.push(e.to_string());
            if let Some(io_err) = e.downcast_ref::<io::Error>() {
                io_kinds.push(io_err.kind());
            }
            current = e.source();
        }
        ErrorChain { messages, io_kinds }
    }

    /// One line made of the distinct messages of the chain.
    fn describe(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for m in &self.messages {
            if !parts.iter().any(|p| p.contains(m.as_str())) {
                parts.push(m);
            }
        }
        parts.join(": ")
    }

    fn mentions(&self, needle: &str) -> bool {
        self.messages.iter().any(|m| m.contains(needle))
    }
}

fn classify(chain: &ErrorChain) -> ErrorCode {
    for kind in &chain.io_kinds {
        match kind {
            io::ErrorKind::ConnectionRefused => return ErrorCode::ConnectionRefused,
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                return ErrorCode::ConnectionReset
            }
            io::ErrorKind::BrokenPipe => return ErrorCode::BrokenPipe,
            io::ErrorKind::TimedOut => return ErrorCode::TimedOut,
            _ => {}
        }
    }
    if chain.mentions("certificate") || chain.mentions("UnknownIssuer") {
        return ErrorCode::TlsCertificate;
    }
    if chain.mentions("dns error") || chain.mentions("failed to lookup address") {
        return ErrorCode::NotFoundHost;
    }
    if chain.mentions("connection closed before message completed")
        || chain.mentions("connection reset")
        || chain.mentions("unexpected end of file")
    {
        return ErrorCode::ConnectionReset;
    }
    ErrorCode::Network
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_are_worded_like_node() {
        let err = io::Error::from(io::ErrorKind::NotFound);
        let mapped = UploadError::from_file_io(&err, "open", "/tmp/x");
        assert_eq!(mapped.code, ErrorCode::NotFound);
        assert_eq!(
            mapped.reason,
            "ENOENT: no such file or directory, open '/tmp/x'"
        );
    }

    #[test]
    fn io_kinds_in_the_chain_decide_the_code() {
        let chain = ErrorChain {
            messages: vec!["error sending request".into(), "tcp connect error".into()],
            io_kinds: vec![io::ErrorKind::ConnectionRefused],
        };
        assert_eq!(classify(&chain), ErrorCode::ConnectionRefused);
    }

    #[test]
    fn resolver_failures_are_enotfound() {
        // The message chain reqwest gives for a name that does not resolve (no DNS query is made
        // by the tests: they never leave the loopback interface).
        let chain = ErrorChain {
            messages: vec![
                "error sending request for url (http://x.invalid/)".into(),
                "client error (Connect)".into(),
                "dns error".into(),
                "failed to lookup address information: Name or service not known".into(),
            ],
            io_kinds: vec![io::ErrorKind::Other],
        };
        assert_eq!(classify(&chain), ErrorCode::NotFoundHost);
    }

    #[test]
    fn describe_drops_repeated_messages() {
        let chain = ErrorChain {
            messages: vec!["a: b".into(), "b".into(), "c".into()],
            io_kinds: vec![],
        };
        assert_eq!(chain.describe(), "a: b: c");
    }
}
