//! One record per option of `uploadFile`: its name, JavaScript type, default, value rule, CLI
//! flags and the sentence that documents it, in one table. `lib/options.js` checks the types from
//! it (`optionRecords()`); `scripts/options.js` writes the option declarations of `index.d.ts`
//! and the option tables of README.md and docs/API.md from it, and
//! `__test__/option-records.test.js` fails when any of them, or the CLI's `--help`, disagrees.
//! The defaults are the constants the reader in `options.rs` uses, so each has one owner.
//! docs/ARCHITECTURE.md, "Adding an option", says how to add one.

use std::time::Duration;

use napi_derive::napi;

use super::{
    DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_RETRY_BACKOFF, DEFAULT_RETRY_LIMIT, DEFAULT_TIMEOUT,
};

/// The JavaScript type of an option, as `lib/options.js` checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// A number (`Infinity` and `NaN` included: the values are the reader's).
    Number,
    /// A boolean.
    Flag,
    /// A plain object.
    Object,
    /// A function (the callbacks).
    Callback,
    /// An `AbortSignal`-like object.
    Signal,
    /// A string or `false`.
    TextOrFalse,
    /// PEM: a string or Buffer, or an array of them.
    Pem,
    /// Accepted and never read.
    Ignored,
}

impl Kind {
    /// The name `lib/options.js` knows the type by.
    fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Number => "number",
            Kind::Flag => "boolean",
            Kind::Object => "object",
            Kind::Callback => "function",
            Kind::Signal => "signal",
            Kind::TextOrFalse => "stringOrFalse",
            Kind::Pem => "pem",
            Kind::Ignored => "ignored",
        }
    }
}

/// What an option is when the caller does not give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The caller must give it.
    Required,
    /// Nothing: the option's feature is off.
    Nothing,
    /// A number of milliseconds.
    Millis(Duration),
    /// A count.
    Count(u32),
    /// A number of bytes.
    Bytes(u64),
    /// A boolean.
    Flag(bool),
    /// Said in words (a default computed from other options).
    Words(&'static str),
}

impl Fallback {
    /// The default as the docs show it.
    fn text(self) -> String {
        match self {
            Fallback::Required => "required".into(),
            Fallback::Nothing => "none".into(),
            Fallback::Millis(d) => format!("`{}`", d.as_millis()),
            Fallback::Count(n) => format!("`{n}`"),
            Fallback::Bytes(n) if n % (1 << 20) == 0 => format!("`{n}` ({} MiB)", n >> 20),
            Fallback::Bytes(n) => format!("`{n}`"),
            Fallback::Flag(b) => format!("`{b}`"),
            Fallback::Words(text) => text.into(),
        }
    }
}

/// One option of `uploadFile`.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// As JavaScript spells it; a field of an object option is `retry.limit`.
    pub name: &'static str,
    /// The type `lib/options.js` checks.
    pub kind: Kind,
    /// Its TypeScript type in `index.d.ts` (without `| null`).
    pub ts: &'static str,
    /// Its type as the docs' tables show it.
    pub shown: &'static str,
    /// Its value when not given.
    pub fallback: Fallback,
    /// The rule its value follows (docs/API.md's table).
    pub rule: &'static str,
    /// The command line's spellings of it (docs/CLI.md); empty when the CLI has none.
    pub cli: &'static [&'static str],
    /// The sentence that documents it (README, `index.d.ts`).
    pub doc: &'static str,
    /// The section of docs/API.md that says more, such as `2.1`.
    pub see: Option<&'static str>,
}

/// A boolean option of Taro's that upload-task accepts and never reads (no cookie jar).
const fn ignored(name: &'static str) -> Record {
    Record {
        name,
        kind: Kind::Ignored,
        ts: "boolean",
        shown: "boolean",
        fallback: Fallback::Words("—"),
        rule: "accepted, no effect (no cookie jar)",
        cli: &[],
        doc: "accepted and ignored",
        see: None,
    }
}

/// Every option, in the order the docs list them and `lib/options.js` checks them.
pub const RECORDS: &[Record] = &[
    Record {
        name: "url",
        kind: Kind::Text,
        ts: "string",
        shown: "string",
        fallback: Fallback::Required,
        rule: "must parse as a URL with scheme `http:` or `https:`; a user name and password in it are sent as `Authorization: Basic`, unless `header` has an `Authorization`",
        cli: &["<url>"],
        doc: "`http:` or `https:` URL to POST to (a user name and password in it are sent as Basic auth); anything else is a parameter error",
        see: Some("6"),
    },
    Record {
        name: "filePath",
        kind: Kind::Text,
        ts: "string",
        shown: "string",
        fallback: Fallback::Required,
        rule: "not empty; a regular file; a relative path resolves against `process.cwd()`",
        cli: &["<file>"],
        doc: "path of a regular file (relative paths resolve against `process.cwd()`)",
        see: None,
    },
    Record {
        name: "name",
        kind: Kind::Text,
        ts: "string",
        shown: "string",
        fallback: Fallback::Required,
        rule: "not empty",
        cli: &["-n, --name"],
        doc: "multipart field name of the file part; not empty",
        see: None,
    },
    Record {
        name: "fileName",
        kind: Kind::Text,
        ts: "string",
        shown: "string",
        fallback: Fallback::Words("basename of `filePath` (`file` if empty)"),
        rule: "any string; empty: the default",
        cli: &["--file-name"],
        doc: "`filename` of the file part",
        see: Some("6"),
    },
    Record {
        name: "fileContentType",
        kind: Kind::Text,
        ts: "string",
        shown: "string",
        fallback: Fallback::Words(
            "guessed from the extension of `fileName`, else of `filePath` (`application/octet-stream` when neither is known)",
        ),
        rule: "a header value: no CR, LF, NUL or other control character but tab (else `ERR_INVALID_ARG_VALUE`); empty: the default",
        cli: &[";type="],
        doc: "`Content-Type` of the file part, such as `image/jpeg`",
        see: Some("6"),
    },
    Record {
        name: "header",
        kind: Kind::Object,
        ts: "IAnyObject",
        shown: "object",
        fallback: Fallback::Words("`{}`"),
        rule: "names are HTTP tokens; values, through `String()`, are checked as Node checks them (else `ERR_INVALID_CHAR`)",
        cli: &["-H, --header"],
        doc: "request headers, values through `String()`; `Content-Type`, `Content-Length`, `Transfer-Encoding` and `Host` are always the upload's own",
        see: Some("6"),
    },
    Record {
        name: "formData",
        kind: Kind::Object,
        ts: "IAnyObject",
        shown: "object",
        fallback: Fallback::Words("`{}`"),
        rule: "text parts sent before the file; names and values have no NUL",
        cli: &["-F, --form"],
        doc: "text parts sent before the file, in insertion order; objects and arrays as JSON",
        see: Some("6"),
    },
    Record {
        name: "timeout",
        kind: Kind::Number,
        ts: "number",
        shown: "number (ms)",
        fallback: Fallback::Millis(DEFAULT_TIMEOUT),
        rule: "deadline of the whole upload, from the call to settlement (below); `0`: the default; `Infinity`: none; over 100 years counts as `Infinity`; negative or `NaN`: `ERR_INVALID_ARG_VALUE`",
        cli: &["-m, --max-time", "--timeout"],
        doc: "deadline for the whole upload, from the call to settlement. `0`, `null` or absent: the default. `Infinity`, or anything over 100 years: no deadline. Negative, `NaN` or a non-number: parameter error",
        see: None,
    },
    Record {
        name: "idleTimeout",
        kind: Kind::Number,
        ts: "number",
        shown: "number (ms)",
        fallback: Fallback::Nothing,
        rule: "longest time nothing may move (below); `0` or `Infinity`: none; over 100 years counts as `Infinity`; negative or `NaN`: `ERR_INVALID_ARG_VALUE`",
        cli: &["--idle-timeout"],
        doc: "fail when no byte moves for this long, in either direction (a stalled server or network); an upload that keeps moving never hits it. `0`, `null`, absent, `Infinity` or anything over 100 years: none",
        see: None,
    },
    Record {
        name: "connectTimeout",
        kind: Kind::Number,
        ts: "number",
        shown: "number (ms)",
        fallback: Fallback::Nothing,
        rule: "longest time setting up each new connection may take: name lookup, TCP, the proxy tunnel or SOCKS handshake, TLS (below); a pooled connection is set up at once; `0` or `Infinity`: none; over 100 years counts as `Infinity`; negative or `NaN`: `ERR_INVALID_ARG_VALUE`",
        cli: &["--connect-timeout"],
        doc: "fail with `ETIMEDOUT` (`phase: 'connect'`) when setting up a new connection (name lookup, TCP, proxy, TLS) takes longer; waiting for `100 Continue` or for QUIC is not connecting. `0`, `null`, absent, `Infinity` or anything over 100 years: none",
        see: None,
    },
    Record {
        name: "maxBytesPerSecond",
        kind: Kind::Number,
        ts: "number",
        shown: "number",
        fallback: Fallback::Nothing,
        rule: "the body's pace: at any moment, no more bytes handed over than the rate allows since the first one; `0` or `Infinity`: none; otherwise at least 1 (byte per second): a smaller rate, a negative one or `NaN` is `ERR_INVALID_ARG_VALUE`",
        cli: &["--limit-rate"],
        doc: "pace the body to at most this many bytes per second (as curl's `--limit-rate`), in frames of 50 ms of the rate so that progress keeps flowing. `0`, `null`, absent or `Infinity`: full speed; below 1 byte per second: parameter error",
        see: Some("6"),
    },
    Record {
        name: "maxResponseBytes",
        kind: Kind::Number,
        ts: "number",
        shown: "number",
        fallback: Fallback::Bytes(DEFAULT_MAX_RESPONSE_BYTES),
        rule: "largest response body kept (decoded), rounded down; `Infinity`, or more than 2^29 − 24: as much as a JavaScript string holds; negative or `NaN`: `ERR_INVALID_ARG_VALUE`",
        cli: &["--max-filesize"],
        doc: "the largest response body kept (decoded size); past it, or when `Content-Length` announces more, the connection is closed and the upload fails with `ERR_RESPONSE_TOO_LARGE`. `null` or absent: the default. `Infinity`: as much as a JavaScript string holds (2^29 − 24 bytes)",
        see: Some("3"),
    },
    Record {
        name: "maxRedirects",
        kind: Kind::Number,
        ts: "number",
        shown: "number",
        fallback: Fallback::Count(DEFAULT_MAX_REDIRECTS),
        rule: "a non-negative integer; `Infinity` (or more than 2^32 − 1): no limit; `0`: none, the 3xx is the result; anything else `ERR_INVALID_ARG_VALUE`",
        cli: &["--max-redirs", "--max-redirects"],
        doc: "redirects followed as browsers follow them: 301/302/303 become a `GET` without body, 307/308 send the file again, re-read from disk (progress starts again from 0); `Authorization`, `Cookie`, `Cookie2`, `Proxy-Authorization` and `WWW-Authenticate` stay with their origin; `https:` → `http:` is refused. `0`: the 3xx is the result",
        see: Some("2.1"),
    },
    Record {
        name: "retry",
        kind: Kind::Object,
        ts: "object",
        shown: "`{ limit?, backoff?, maxRetryAfter? }`",
        fallback: Fallback::Nothing,
        rule: "when a failed attempt is sent again; its fields below",
        cli: &[],
        doc: "send the upload again, re-opening the file, when the server did not process it (connection refused or not set up within `connectTimeout`, or reset before the whole request was written; after that only with an `Idempotency-Key` header) or answered 429/503",
        see: Some("2.3"),
    },
    Record {
        name: "retry.limit",
        kind: Kind::Number,
        ts: "number",
        shown: "number",
        fallback: Fallback::Count(DEFAULT_RETRY_LIMIT),
        rule: "how many times the upload may be sent again: a non-negative integer; `Infinity` (or more than 2^32 − 1): no limit",
        cli: &["--retry"],
        doc: "how many times the upload may be sent again",
        see: Some("2.3"),
    },
    Record {
        name: "retry.backoff",
        kind: Kind::Number,
        ts: "number",
        shown: "number (ms)",
        fallback: Fallback::Millis(DEFAULT_RETRY_BACKOFF),
        rule: "the wait before the first repeat, doubled for each next one; a wait that would end after the deadline is not started; `Infinity` and anything over 100 years: 100 years",
        cli: &[],
        doc: "the wait before the first repeat, doubled for each next one",
        see: Some("2.3"),
    },
    Record {
        name: "retry.maxRetryAfter",
        kind: Kind::Number,
        ts: "number",
        shown: "number (ms)",
        fallback: Fallback::Millis(DEFAULT_MAX_RETRY_AFTER),
        rule: "the longest `Retry-After` of a 429/503 honoured instead of the backoff; a longer one makes that response the result; `Infinity` and anything over 100 years: 100 years",
        cli: &[],
        doc: "the longest `Retry-After` (delay-seconds or an HTTP date) of a 429/503 honoured; a longer one makes that response the result",
        see: Some("2.3"),
    },
    Record {
        name: "proxy",
        kind: Kind::TextOrFalse,
        ts: "string | false",
        shown: "string or `false`",
        fallback: Fallback::Words("the environment's"),
        rule: "an `http:`, `https:`, `socks5:`, `socks5h:`, `socks4:` or `socks4a:` proxy URL (without a scheme: `http:`), else `ERR_INVALID_ARG_VALUE`; `false`: none",
        cli: &["-x, --proxy", "--no-proxy"],
        doc: "a proxy URL (`http://user:password@host:port`, or SOCKS: `socks5h://user:password@host:port`) for this upload; `false`: none. Absent: the proxy variables of `process.env` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, or lower case), read when each upload starts",
        see: Some("2.2"),
    },
    Record {
        name: "ca",
        kind: Kind::Pem,
        ts: "string | Uint8Array | ReadonlyArray<string | Uint8Array>",
        shown: "string, Buffer, or an array of them",
        fallback: Fallback::Nothing,
        rule: "PEM certificates (else `ERR_INVALID_ARG_VALUE`), added to the system's roots for this upload; other uploads do not see them. A server certificate that is itself one of them is trusted even when it is self-signed and marked CA:TRUE (§6)",
        cli: &["--cacert"],
        doc: "extra trusted root certificates (PEM) for this upload, added to the system's roots, as Node's `ca` adds to its own; for a private CA, or a server's self-signed certificate (the `openssl req -x509` kind, marked CA:TRUE), trusted as Node trusts it: host name and validity dates still checked. Not PEM: `ERR_INVALID_ARG_VALUE`",
        see: None,
    },
    Record {
        name: "enableHttp2",
        kind: Kind::Flag,
        ts: "boolean",
        shown: "boolean",
        fallback: Fallback::Flag(false),
        rule: "`true`: HTTP/2 by ALPN over `https:` (HTTP/1.1 when the server does not offer it; `http:` is always HTTP/1.1). Uploads to one origin share one HTTP/2 connection: the first upload to an origin opens it while those started with it wait for it, at most 1 s without progress (§2.5)",
        cli: &["--http2"],
        doc: "`true`: offer HTTP/2 by ALPN over `https:`; a server that only speaks HTTP/1.1 gets HTTP/1.1, and `http:` stays HTTP/1.1. Not a boolean: `ERR_INVALID_ARG_TYPE`",
        see: None,
    },
    Record {
        name: "enableProfile",
        kind: Kind::Flag,
        ts: "boolean",
        shown: "boolean",
        fallback: Fallback::Flag(false),
        rule: "`true`: the result has `profile`",
        cli: &[],
        doc: "`true`: the result gets `profile`, the timings of the request that produced it, with WeChat's `RequestProfile` names",
        see: Some("2.4"),
    },
    Record {
        name: "expectContinue",
        kind: Kind::Flag,
        ts: "boolean",
        shown: "boolean",
        fallback: Fallback::Flag(true),
        rule: "`false`: no `Expect: 100-continue`. By default an HTTP/1.1 body of 1 MiB or more waits after the request head for the server's `100 Continue`: 10 ms plus three times the connection's set-up time, or twice the origin's latest answer time, at most 1 s; a final response instead is the result and no body byte is sent. An origin that let a whole body go without answering is not waited on again",
        cli: &[],
        doc: "`false`: send large HTTP/1.1 bodies at once, without `Expect: 100-continue` and its short wait (at most 1 s). Not a boolean: `ERR_INVALID_ARG_TYPE`",
        see: Some("2.6"),
    },
    Record {
        name: "signal",
        kind: Kind::Signal,
        ts: "AbortSignal",
        shown: "`AbortSignal`",
        fallback: Fallback::Nothing,
        rule: "any object with a boolean `aborted` and `addEventListener` / `removeEventListener` (other realms and polyfills too); aborting it is `abort()`",
        cli: &[],
        doc: "aborting it is `abort()`: `uploadFile:fail abort` (`ABORT_ERR`), with the signal's `reason` as `cause`. Already aborted: nothing is sent, not even the request. Its listener is removed when the task settles. Any object with a boolean `aborted` and `addEventListener` / `removeEventListener` is one (other realms, polyfills); anything else is a parameter error",
        see: Some("8"),
    },
    ignored("withCredentials"),
    Record {
        name: "enableQuic",
        kind: Kind::Flag,
        ts: "boolean",
        shown: "boolean",
        fallback: Fallback::Flag(false),
        rule: "`true`: HTTP/3 over QUIC to `https:` origins; over TCP (as `enableHttp2` says) when no byte of the body went over QUIC within 1 s, and then for every later upload of the environment to that origin; `http:` and uploads through a proxy ignore it",
        cli: &["--http3"],
        doc: "`true`: HTTP/3 (QUIC) to `https:` origins, falling back to TCP (HTTP/2 or HTTP/1.1) when QUIC does not come up within 1 s, remembered per origin. `http:` and proxied uploads ignore it. Not a boolean: `ERR_INVALID_ARG_TYPE`",
        see: Some("2.7"),
    },
    Record {
        name: "success",
        kind: Kind::Callback,
        ts: "(result: SuccessCallbackResult) => void",
        shown: "function",
        fallback: Fallback::Words("—"),
        rule: "called with the result",
        cli: &[],
        doc: "called with the result when a response arrived, whatever its status",
        see: Some("3"),
    },
    Record {
        name: "fail",
        kind: Kind::Callback,
        ts: "(error: UploadError) => void",
        shown: "function",
        fallback: Fallback::Words("—"),
        rule: "called with the `UploadError`",
        cli: &[],
        doc: "called with the `UploadError` when the upload failed",
        see: Some("3"),
    },
    Record {
        name: "complete",
        kind: Kind::Callback,
        ts: "(result: SuccessCallbackResult | UploadError) => void",
        shown: "function",
        fallback: Fallback::Words("—"),
        rule: "called after `success` or `fail`",
        cli: &[],
        doc: "called after `success` or `fail`, with the same argument",
        see: Some("3"),
    },
];

/// One option as JavaScript sees it (`optionRecords()`).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct OptionRecord {
    /// As JavaScript spells it; a field of an object option is `retry.limit`.
    pub name: String,
    /// The type `lib/options.js` checks: `string`, `number`, `boolean`, `object`, `function`,
    /// `signal`, `stringOrFalse`, `pem` or `ignored`.
    pub r#type: String,
    /// Whether the caller must give it.
    pub required: bool,
    /// Its TypeScript type (without `| null`).
    pub ts_type: String,
    /// Its type as the docs' tables show it.
    pub shown_type: String,
    /// Its default as the docs show it.
    pub default: String,
    /// The rule its value follows.
    pub rule: String,
    /// The command line's spellings of it.
    pub cli: Vec<String>,
    /// The sentence that documents it.
    pub doc: String,
    /// The section of docs/API.md that says more.
    pub see: Option<String>,
}

impl From<&Record> for OptionRecord {
    fn from(record: &Record) -> Self {
        OptionRecord {
            name: record.name.into(),
            r#type: record.kind.as_str().into(),
            required: record.fallback == Fallback::Required,
            ts_type: record.ts.into(),
            shown_type: record.shown.into(),
            default: record.fallback.text(),
            rule: record.rule.into(),
            cli: record.cli.iter().map(|flag| (*flag).into()).collect(),
            doc: record.doc.into(),
            see: record.see.map(Into::into),
        }
    }
}

/// Every option of `uploadFile`, in order: the table `lib/options.js` checks types from and the
/// docs are generated from.
#[napi]
pub fn option_records() -> Vec<OptionRecord> {
    RECORDS.iter().map(OptionRecord::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_fields_follow_their_object() {
        for (i, record) in RECORDS.iter().enumerate() {
            assert!(
                RECORDS[..i].iter().all(|r| r.name != record.name),
                "{} twice",
                record.name
            );
            if let Some((parent, _)) = record.name.split_once('.') {
                let owner = RECORDS[..i].iter().rposition(|r| !r.name.contains('.'));
                assert_eq!(owner.map(|o| RECORDS[o].name), Some(parent));
            }
        }
    }

    #[test]
    fn javascript_gets_every_record_with_its_default_in_words() {
        let records = option_records();
        assert_eq!(records.len(), RECORDS.len());
        let by_name = |name: &str| records.iter().find(|r| r.name == name).unwrap();
        assert_eq!(by_name("timeout").default, "`60000`");
        assert_eq!(by_name("maxResponseBytes").default, "`67108864` (64 MiB)");
        assert_eq!(by_name("retry.limit").default, "`2`");
        assert!(by_name("url").required && !by_name("fileName").required);
        assert_eq!(by_name("proxy").r#type, "stringOrFalse");
        assert_eq!(by_name("proxy").cli, ["-x, --proxy", "--no-proxy"]);
        assert_eq!(by_name("retry").see.as_deref(), Some("2.3"));
        // The words of the number rules are those of the reader's constants.
        let rate = by_name("maxBytesPerSecond");
        assert!(rate
            .rule
            .contains(&format!("at least {}", super::super::SLOWEST_RATE)));
        assert_eq!(
            super::super::LONGEST.as_secs(),
            36_525 * 86_400,
            "100 years"
        );
        for name in [
            "timeout",
            "idleTimeout",
            "connectTimeout",
            "retry.backoff",
            "retry.maxRetryAfter",
        ] {
            assert!(by_name(name).rule.contains("over 100 years"), "{name}");
        }
        assert!(records.iter().all(|r| !r.doc.is_empty()
            && !r.rule.is_empty()
            && !r.ts_type.is_empty()
            && !r.shown_type.is_empty()));
    }
}
