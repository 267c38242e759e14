//! The user name and password of the upload's URL (`http://user:password@host/`): taken out of
//! the URL, so that no request line, message or profile carries them, and sent as HTTP Basic
//! authentication (RFC 7617), as curl, Node's `http` and axios send them, unless an
//! `Authorization` already goes with the request (the caller's wins). On a redirect the header is
//! a caller's header like any other (`redirect.rs`: kept to the same origin, dropped when the
//! origin changes); a `Location` with credentials of its own is read by the same rule.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::percent_decode_str;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Url;

/// Takes the user name and password out of `url` and adds them to `headers` as `Authorization:
/// Basic` unless `headers` has an `Authorization`.
pub fn move_to_header(url: &mut Url, headers: &mut HeaderMap) {
    add_unless_set(headers, take_basic_auth(url));
}

/// Adds `value` (the URL's credentials) as `Authorization` unless `headers` has one.
pub fn add_unless_set(headers: &mut HeaderMap, value: Option<HeaderValue>) {
    if let Some(value) = value {
        headers.entry(AUTHORIZATION).or_insert(value);
    }
}

/// Takes the user name and password out of `url` and returns them as the value of an
/// `Authorization: Basic` header, or `None` when the URL has neither. Both are percent-decoded
/// to their bytes (UTF-8 as the URL spells it) before they are encoded; a user name without a
/// password sends `user:`, as curl does. The value is marked sensitive (HTTP/2 and HTTP/3 never
/// index it, `Debug` does not show it).
pub fn take_basic_auth(url: &mut Url) -> Option<HeaderValue> {
    let password = url.password().map(str::to_owned);
    if url.username().is_empty() && password.is_none() {
        return None;
    }
    let mut pair: Vec<u8> = percent_decode_str(url.username()).collect();
    pair.push(b':');
    pair.extend(percent_decode_str(password.as_deref().unwrap_or_default()));
    // A URL with a user name or password has a host, so neither can fail; their results only
    // say whether the URL could hold them.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let mut value =
        HeaderValue::from_maybe_shared(format!("Basic {}", STANDARD.encode(pair))).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(raw: &str) -> (Option<String>, String) {
        let mut url = Url::parse(raw).unwrap();
        let value = take_basic_auth(&mut url).map(|v| v.to_str().unwrap().to_owned());
        (value, url.to_string())
    }

    fn basic(pair: &[u8]) -> Option<String> {
        Some(format!("Basic {}", STANDARD.encode(pair)))
    }

    #[test]
    fn user_and_password_become_basic_auth_and_leave_the_url() {
        let (value, url) = taken("http://user:pw@a.test:8080/up?q=1");
        assert_eq!(value, basic(b"user:pw"));
        assert_eq!(value.as_deref(), Some("Basic dXNlcjpwdw=="));
        assert_eq!(url, "http://a.test:8080/up?q=1");
    }

    #[test]
    fn percent_encoded_and_utf8_characters_are_sent_as_their_bytes() {
        let (value, url) = taken("https://j%C3%BCrgen:p%40ss%3Aw%2Fd%20%25@a.test/");
        assert_eq!(value, basic("jürgen:p@ss:w/d %".as_bytes()));
        assert_eq!(url, "https://a.test/");
        // Typed raw, the URL parser percent-encodes them first: the same bytes go.
        assert_eq!(
            taken("https://jürgen:pässwört@a.test/").0,
            basic("jürgen:pässwört".as_bytes())
        );
        // Bytes that are not UTF-8 go as they are, as curl sends them.
        assert_eq!(taken("http://u:%FF@a.test/").0, basic(b"u:\xff"));
    }

    #[test]
    fn a_user_name_alone_sends_an_empty_password_as_curl_does() {
        assert_eq!(taken("http://user@a.test/").0, basic(b"user:"));
        assert_eq!(taken("http://user:@a.test/").0, basic(b"user:"));
        assert_eq!(taken("http://:pw@a.test/").0, basic(b":pw"));
    }

    #[test]
    fn a_url_without_credentials_is_left_alone() {
        assert_eq!(
            taken("http://a.test/x"),
            (None, "http://a.test/x".to_owned())
        );
        assert_eq!(taken("http://@a.test/x").0, None);
    }

    #[test]
    fn the_value_is_sensitive() {
        let mut url = Url::parse("http://u:secret@a.test/").unwrap();
        let value = take_basic_auth(&mut url).unwrap();
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("dTpzZWNyZXQ"));
    }
}
