//! The proxy of an upload: the `proxy` option, or the proxy variables (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, in upper or lower case) that `lib/options.js` copies
//! from `process.env` when each upload starts: what JavaScript sees there, a worker's own copy
//! included, is what applies. Their names, precedence, `NO_PROXY` and the httpoxy rule
//! (`REQUEST_METHOD`) live here; which client carries them is `clients.rs`. A proxy URL is an
//! HTTP proxy (`http:`, `https:`, or no scheme) or a SOCKS proxy (`src/socks.rs`).

use hyper_util::client::proxy::matcher::Matcher;
use reqwest::Url;

use crate::socks::{SocksAddr, SOCKS_SCHEMES};

/// The schemes of HTTP proxy URLs (`CONNECT` tunnels for `https:`, forwarding for `http:`).
const HTTP_SCHEMES: [&str; 2] = ["http", "https"];

/// The schemes of a proxy URL: HTTP proxies, then SOCKS ones.
pub fn proxy_schemes() -> impl Iterator<Item = &'static str> {
    HTTP_SCHEMES.into_iter().chain(SOCKS_SCHEMES)
}

/// `url` as a URL: one without a scheme is an `http:` proxy, as curl reads it.
pub fn proxy_url(url: &str) -> Result<Url, impl std::fmt::Display> {
    if url.contains("://") {
        Url::parse(url)
    } else {
        Url::parse(&format!("http://{url}"))
    }
}

/// The variable that exempts hosts from the proxies.
const NO_PROXY: &str = "NO_PROXY";

/// The variable that marks a CGI program, where a request's `Proxy:` header arrives as
/// `HTTP_PROXY` ("httpoxy"): then `HTTP_PROXY` is ignored.
const CGI_MARK: &str = "REQUEST_METHOD";

/// Which proxy an upload goes through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxyChoice {
    /// None: straight to the server.
    #[default]
    None,
    /// This proxy URL, for every request (the `proxy` option).
    Fixed(String),
    /// The proxies the variables name (never empty: no variable set is [`ProxyChoice::None`]).
    Variables(ProxyVariables),
}

impl ProxyChoice {
    /// The proxy URLs of this choice, as given.
    fn urls(&self) -> Vec<&str> {
        match self {
            ProxyChoice::None => Vec::new(),
            ProxyChoice::Fixed(url) => vec![url.as_str()],
            ProxyChoice::Variables(vars) => vars.urls().map(|(_, url)| url).collect(),
        }
    }
}

/// The names of the variables an upload's proxy settings are read from: each one in upper and
/// lower case, and `REQUEST_METHOD`.
#[napi_derive::napi]
pub fn proxy_variables() -> Vec<String> {
    let mut names = Vec::new();
    let upper = ProxyScope::ALL.map(ProxyScope::variable);
    for name in upper.into_iter().chain([NO_PROXY]) {
        names.push(name.to_string());
        names.push(name.to_ascii_lowercase());
    }
    names.push(CGI_MARK.to_string());
    names
}

/// The settings of the proxy variables. Upper case first, then lower case, as curl and reqwest
/// read them; an empty value is unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyVariables {
    /// `HTTPS_PROXY`: for `https:` URLs.
    pub https: Option<String>,
    /// `HTTP_PROXY`: for `http:` URLs; ignored when `REQUEST_METHOD` is set (httpoxy).
    pub http: Option<String>,
    /// `ALL_PROXY`: for both, when the more specific variable is unset.
    pub all: Option<String>,
    /// `NO_PROXY`: hosts, domains and IP ranges reached directly (`*` for all).
    pub no: Option<String>,
}

/// Which URLs a proxy variable is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyScope {
    /// `https:` URLs (`HTTPS_PROXY`).
    Https,
    /// `http:` URLs (`HTTP_PROXY`).
    Http,
    /// Both (`ALL_PROXY`).
    All,
}

impl ProxyScope {
    /// Every scope, most specific first.
    const ALL: [ProxyScope; 3] = [ProxyScope::Https, ProxyScope::Http, ProxyScope::All];

    /// The variable it comes from (in upper case), as error messages name it.
    pub fn variable(self) -> &'static str {
        match self {
            ProxyScope::Https => "HTTPS_PROXY",
            ProxyScope::Http => "HTTP_PROXY",
            ProxyScope::All => "ALL_PROXY",
        }
    }
}

impl ProxyVariables {
    /// The settings of these variables (`name`, `value` pairs of [`proxy_variables`]; other
    /// names are ignored).
    pub fn from_pairs<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let exact = |name: &str| {
            vars.clone()
                .into_iter()
                .find(|(n, v)| *n == name && !v.trim().is_empty())
                .map(|(_, v)| v.to_string())
        };
        let var = |name: &str| exact(name).or_else(|| exact(&name.to_ascii_lowercase()));
        let cgi = exact(CGI_MARK).is_some();
        ProxyVariables {
            https: var(ProxyScope::Https.variable()),
            http: if cgi {
                None
            } else {
                var(ProxyScope::Http.variable())
            },
            all: var(ProxyScope::All.variable()),
            no: var(NO_PROXY),
        }
    }

    /// The proxy URLs set, each with the URLs it is for, most specific first.
    pub fn urls(&self) -> impl Iterator<Item = (ProxyScope, &str)> {
        ProxyScope::ALL
            .into_iter()
            .zip([&self.https, &self.http, &self.all])
            .filter_map(|(scope, url)| Some((scope, url.as_deref()?)))
    }

    /// These settings as a choice: none when no proxy variable is set, or when `NO_PROXY` holds
    /// `*` (every host, as curl reads it; hyper-util's matcher would apply it to names only, not
    /// to IP addresses).
    pub fn into_choice(self) -> ProxyChoice {
        let exempts_all = self
            .no
            .as_deref()
            .is_some_and(|list| list.split(',').any(|entry| entry.trim() == "*"));
        if exempts_all || self.urls().next().is_none() {
            ProxyChoice::None
        } else {
            ProxyChoice::Variables(self)
        }
    }
}

/// The proxy matcher of `choice` (`connector.rs` asks it which proxy a URL goes through): an
/// `https:` URL goes to `HTTPS_PROXY`, an `http:` URL to `HTTP_PROXY`, either to `ALL_PROXY` when
/// its own is unset; `NO_PROXY` exempts hosts from all three. Credentials in a proxy URL are sent
/// as `Proxy-Authorization: Basic` to an HTTP proxy, as RFC 1929 username and password to a
/// SOCKS5 one. `None` without a proxy.
pub fn matcher(choice: &ProxyChoice) -> Option<Matcher> {
    // URLs were checked by `options.rs`; given to the matcher normalized, as reqwest gave them.
    let url = |url: &str| proxy_url(url).map(String::from).unwrap_or_default();
    match choice {
        ProxyChoice::None => None,
        ProxyChoice::Fixed(fixed) => Some(Matcher::builder().all(url(fixed)).build()),
        ProxyChoice::Variables(vars) => {
            let mut builder = Matcher::builder().no(vars.no.clone().unwrap_or_default());
            for (scope, proxy) in vars.urls() {
                builder = match scope {
                    ProxyScope::Https => builder.https(url(proxy)),
                    ProxyScope::Http => builder.http(url(proxy)),
                    ProxyScope::All => builder.all(url(proxy)),
                };
            }
            Some(builder.build())
        }
    }
}

/// The SOCKS proxies of `choice` (for [`SocksReach`]).
pub fn socks_proxies(choice: &ProxyChoice) -> Vec<SocksAddr> {
    choice
        .urls()
        .into_iter()
        .filter_map(|url| SocksAddr::of(&proxy_url(url).ok()?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_upper_case_first_and_httpoxy() {
        let vars = ProxyVariables::from_pairs([
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:2"),
            ("no_proxy", " "),
        ]);
        assert_eq!(vars.https.as_deref(), Some("http://upper:1"));
        assert_eq!(vars.http.as_deref(), Some("http://lower:2"));
        assert_eq!(vars.no, None, "an empty value is unset");
        let cgi = ProxyVariables::from_pairs([
            ("HTTP_PROXY", "http://injected:3"),
            ("REQUEST_METHOD", "GET"),
        ]);
        assert_eq!(cgi.http, None);
    }

    #[test]
    fn every_listed_variable_is_read() {
        let names = proxy_variables();
        assert_eq!(names.len(), 9);
        for name in &names {
            let vars = ProxyVariables::from_pairs([(name.as_str(), "http://127.0.0.1:1")]);
            let read = vars != ProxyVariables::default();
            assert_eq!(read, name != CGI_MARK, "{name}");
        }
        for (scope, name) in [
            (ProxyScope::Https, "https_proxy"),
            (ProxyScope::All, "ALL_PROXY"),
        ] {
            let vars = ProxyVariables::from_pairs([(name, "http://127.0.0.1:1")]);
            assert_eq!(vars.urls().map(|(s, _)| s).collect::<Vec<_>>(), [scope]);
        }
    }

    #[test]
    fn no_proxy_star_exempts_every_host() {
        let vars = |no: &str| ProxyVariables {
            http: Some("http://127.0.0.1:1".into()),
            no: Some(no.into()),
            ..ProxyVariables::default()
        };
        assert_eq!(vars("*").into_choice(), ProxyChoice::None);
        assert_eq!(vars("example.com, *").into_choice(), ProxyChoice::None);
        assert!(matches!(
            vars("example.com").into_choice(),
            ProxyChoice::Variables(_)
        ));
        assert_eq!(ProxyVariables::default().into_choice(), ProxyChoice::None);
    }
}
