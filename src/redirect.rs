//! Which redirects an upload follows, and how: one pure decision over a redirect response's
//! status and `Location` and the request that got it. reqwest's own redirect policy cannot
//! replay a streamed body, so upload-task follows redirects itself (`upload.rs` asks this module
//! after each response).

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, PROXY_AUTHORIZATION,
    WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};

use crate::credentials;
use crate::error::{ErrorCode, UploadError};

/// The headers that never go to another origin (scheme, host, port): reqwest's list of
/// sensitive headers (`remove_sensitive_headers` in its `redirect.rs`).
pub static CROSS_ORIGIN_DROPPED: [HeaderName; 5] = [
    AUTHORIZATION,
    COOKIE,
    HeaderName::from_static("cookie2"),
    PROXY_AUTHORIZATION,
    WWW_AUTHENTICATE,
];

/// One request of an upload's chain of redirects: where it goes, how, and with which headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    /// Where it goes.
    pub url: Url,
    /// Its method.
    pub method: Method,
    /// The caller's headers that go with it, and the multipart `Content-Type` when it has a body.
    pub headers: HeaderMap,
    /// Whether it carries the file (a POST, or a 307/308 of one).
    pub with_body: bool,
}

impl Hop {
    /// The upload's own request: a POST with the file.
    pub fn first(url: Url, headers: HeaderMap) -> Self {
        Hop {
            url,
            method: Method::POST,
            headers,
            with_body: true,
        }
    }
}

/// The request a response to `hop` asks for, as browsers follow it: 301 and 302 turn a POST into
/// a GET, 303 anything into a GET, both without the body; 307 and 308 repeat the request, body
/// and all. `Ok(None)` when the response is the result: not a 3xx, no `Location` that resolves
/// against `hop.url` to an `http:` or `https:` URL (bytes above ASCII percent-encoded first, see
/// [`location_text`]), or following is off (`max_redirects` 0). An
/// error for one redirect more than `max_redirects` (`followed` were followed so far), or one
/// from `https:` to `http:`. The headers of [`CROSS_ORIGIN_DROPPED`] are dropped when the origin
/// changes, `Content-Type` when the body is. A user name and password in the `Location` leave
/// the URL as the upload URL's do (`credentials.rs`): `Authorization` unless one goes along.
pub fn follow(
    hop: &Hop,
    status: StatusCode,
    location: Option<&HeaderValue>,
    max_redirects: u32,
    followed: u32,
) -> Result<Option<Hop>, UploadError> {
    let keeps_body = match status {
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => true,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER => false,
        _ => return Ok(None),
    };
    if max_redirects == 0 {
        return Ok(None);
    }
    let Some(next) = location
        .map(location_text)
        .and_then(|l| hop.url.join(&l).ok())
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
    if hop.url.scheme() == "https" && next.scheme() == "http" {
        return Err(UploadError::new(
            ErrorCode::ERR_INSECURE_REDIRECT,
            "redirect from https: to http: refused",
        ));
    }
    let mut headers = hop.headers.clone();
    if hop.url.origin() != next.origin() {
        for name in &CROSS_ORIGIN_DROPPED {
            headers.remove(name);
        }
    }
    let mut next = next;
    credentials::move_to_header(&mut next, &mut headers);
    let (method, with_body) = if keeps_body {
        (hop.method.clone(), hop.with_body)
    } else if status == StatusCode::SEE_OTHER || hop.method == Method::POST {
        (Method::GET, false)
    } else {
        (hop.method.clone(), false)
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

/// The text of a `Location` header, with every byte above 0x7E (raw UTF-8, Latin-1)
/// percent-encoded, as fetch does before it parses the URL: a raw `/über` becomes `/%C3%BCber`,
/// which the URL parser keeps as it is in the path and query, and decodes again in a host name
/// (then turned to punycode).
pub fn location_text(location: &HeaderValue) -> String {
    let mut text = String::with_capacity(location.len());
    for &byte in location.as_bytes() {
        if byte > 0x7e {
            text.push_str(&format!("%{byte:02X}"));
        } else {
            text.push(char::from(byte));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str) -> Hop {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data"),
        );
        headers.insert("x-other", HeaderValue::from_static("kept"));
        Hop::first(Url::parse(url).unwrap(), headers)
    }

    fn location(value: &str) -> HeaderValue {
        HeaderValue::from_str(value).unwrap()
    }

    /// Follows a redirect of `hop` that must be followed.
    fn next(hop: &Hop, status: u16, to: &str) -> Hop {
        let status = StatusCode::from_u16(status).unwrap();
        follow(hop, status, Some(&location(to)), 10, 0)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_307_or_308_repeats_the_request_body_and_all() {
        for status in [307, 308] {
            let hop = post("http://a.test/up");
            let next = next(&hop, status, "http://a.test/there");
            assert_eq!(next.url.as_str(), "http://a.test/there");
            assert_eq!(next.method, Method::POST);
            assert!(next.with_body);
            assert_eq!(next.headers, hop.headers, "{status} keeps every header");
        }
    }

    #[test]
    fn a_301_or_302_turns_a_post_into_a_get_without_body() {
        for status in [301, 302] {
            let next = next(&post("http://a.test/up"), status, "/there");
            assert_eq!(next.method, Method::GET);
            assert!(!next.with_body);
            assert_eq!(next.headers.get(CONTENT_TYPE), None, "no body, no type");
            assert_eq!(next.headers.get("x-other").unwrap(), "kept");
        }
        let put = Hop {
            method: Method::PUT,
            ..post("http://a.test/up")
        };
        let next = next(&put, 302, "/there");
        assert_eq!(next.method, Method::PUT, "another method is kept");
        assert!(!next.with_body);
    }

    #[test]
    fn a_303_is_a_get_without_body_whatever_the_method() {
        let put = Hop {
            method: Method::PUT,
            ..post("http://a.test/up")
        };
        let next = next(&put, 303, "/there");
        assert_eq!(next.method, Method::GET);
        assert!(!next.with_body);
        let again = super::follow(
            &next,
            StatusCode::TEMPORARY_REDIRECT,
            Some(&location("/x")),
            10,
            1,
        )
        .unwrap()
        .unwrap();
        assert!(!again.with_body, "a 307 of a request without body has none");
    }

    #[test]
    fn other_statuses_and_unusable_locations_are_the_result() {
        let hop = post("http://a.test/up");
        let to = location("/there");
        for status in [200, 204, 300, 304, 305, 400, 503] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(follow(&hop, status, Some(&to), 10, 0), Ok(None), "{status}");
        }
        let found = StatusCode::FOUND;
        assert_eq!(follow(&hop, found, None, 10, 0), Ok(None), "no Location");
        for unusable in ["ftp://a.test/x", "mailto:x@a.test", "http://[bad"] {
            let to = location(unusable);
            assert_eq!(
                follow(&hop, found, Some(&to), 10, 0),
                Ok(None),
                "{unusable}"
            );
        }
    }

    #[test]
    fn raw_bytes_above_ascii_in_location_are_percent_encoded_and_followed() {
        let hop = post("http://a.test/up");
        let raw = |bytes: &[u8]| HeaderValue::from_bytes(bytes).unwrap();
        let utf8 = raw("/über/ziel?q=ä#frag".as_bytes());
        assert_eq!(location_text(&utf8), "/%C3%BCber/ziel?q=%C3%A4#frag");
        let found = StatusCode::FOUND;
        let to = |bytes: &[u8]| {
            follow(&hop, found, Some(&raw(bytes)), 10, 0)
                .unwrap()
                .map(|next| next.url.to_string())
        };
        let cases: [(&[u8], &str, &str); 4] = [
            (
                "/über/ziel".as_bytes(),
                "http://a.test/%C3%BCber/ziel",
                "as fetch follows it",
            ),
            (
                b"/caf\xe9",
                "http://a.test/caf%E9",
                "a byte that is not UTF-8",
            ),
            (
                "http://bücher.test/x".as_bytes(),
                "http://xn--bcher-kva.test/x",
                "punycode",
            ),
            (
                b"/plain%20ok",
                "http://a.test/plain%20ok",
                "ASCII as it was",
            ),
        ];
        for (location, url, what) in cases {
            assert_eq!(to(location).as_deref(), Some(url), "{what}");
        }
    }

    #[test]
    fn relative_and_protocol_relative_locations_resolve_against_the_url() {
        let hop = post("https://a.test/dir/up?q=1");
        assert_eq!(
            next(&hop, 307, "there").url.as_str(),
            "https://a.test/dir/there"
        );
        assert_eq!(next(&hop, 307, "/root").url.as_str(), "https://a.test/root");
        assert_eq!(
            next(&hop, 307, "?p=2").url.as_str(),
            "https://a.test/dir/up?p=2"
        );
        let elsewhere = next(&hop, 307, "//b.test:8443/path");
        assert_eq!(elsewhere.url.as_str(), "https://b.test:8443/path");
        assert_eq!(elsewhere.url.scheme(), "https", "the scheme of the request");
    }

    #[test]
    fn every_sensitive_header_is_dropped_when_the_origin_changes() {
        for name in &CROSS_ORIGIN_DROPPED {
            let mut hop = post("http://a.test:8080/up");
            hop.headers.insert(name, HeaderValue::from_static("secret"));
            for other in [
                "http://b.test:8080/",
                "http://a.test:8081/",
                "https://a.test:8080/",
            ] {
                let next = next(&hop, 307, other);
                assert_eq!(next.headers.get(name), None, "{name} to {other}");
                assert_eq!(next.headers.get("x-other").unwrap(), "kept");
            }
            let same = next(&hop, 307, "http://a.test:8080/elsewhere");
            assert_eq!(
                same.headers.get(name).unwrap(),
                "secret",
                "{name}, same origin"
            );
        }
        let names: Vec<&str> = CROSS_ORIGIN_DROPPED.iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "authorization",
                "cookie",
                "cookie2",
                "proxy-authorization",
                "www-authenticate"
            ]
        );
    }

    #[test]
    fn credentials_in_a_location_leave_the_url_as_authorization_unless_one_goes_along() {
        let basic = |v: &str| HeaderValue::from_str(v).unwrap();
        let to = "http://lu:lp@b.test/x";
        let crossed = next(&post("http://a.test/up"), 307, to);
        assert_eq!(
            crossed.url.as_str(),
            "http://b.test/x",
            "never in a request line"
        );
        assert_eq!(crossed.headers[AUTHORIZATION], basic("Basic bHU6bHA="));
        let mut hop = post("http://a.test/up");
        hop.headers.insert(AUTHORIZATION, basic("Bearer mine"));
        let same = next(&hop, 307, "http://lu:lp@a.test/x");
        assert_eq!(same.url.as_str(), "http://a.test/x");
        assert_eq!(
            same.headers[AUTHORIZATION],
            basic("Bearer mine"),
            "the one going along"
        );
        let elsewhere = next(&hop, 307, to);
        assert_eq!(elsewhere.headers[AUTHORIZATION], basic("Basic bHU6bHA="));
    }

    #[test]
    fn https_to_http_is_refused() {
        let hop = post("https://a.test/up");
        for status in [StatusCode::FOUND, StatusCode::PERMANENT_REDIRECT] {
            let err = follow(&hop, status, Some(&location("http://a.test/up")), 10, 0).unwrap_err();
            assert_eq!(err.code, ErrorCode::ERR_INSECURE_REDIRECT);
        }
        let up = next(&post("http://a.test/up"), 307, "https://a.test/up");
        assert_eq!(up.url.scheme(), "https", "http to https is followed");
    }

    #[test]
    fn one_redirect_too_many_fails_and_max_0_follows_none() {
        let hop = post("http://a.test/up");
        let to = location("/there");
        let found = StatusCode::FOUND;
        assert!(
            follow(&hop, found, Some(&to), 3, 2).unwrap().is_some(),
            "the third"
        );
        let err = follow(&hop, found, Some(&to), 3, 3).unwrap_err();
        assert_eq!(err.code, ErrorCode::ERR_TOO_MANY_REDIRECTS);
        assert_eq!(err.reason, "too many redirects (maxRedirects is 3)");
        assert_eq!(
            follow(&hop, found, Some(&to), 0, 0),
            Ok(None),
            "the 3xx is the result"
        );
        assert!(follow(&hop, found, Some(&to), u32::MAX, 1000)
            .unwrap()
            .is_some());
    }
}
