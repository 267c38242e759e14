//! Response bodies decoded from their content coding: gzip (every member of a series, as
//! RFC 1952 allows), deflate (zlib), brotli and zstd, named in any case (content codings are
//! case-insensitive, RFC 9110 §8.4.1). `src/response.rs` reads what comes out, bounded by
//! `maxResponseBytes`.

use std::io;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder, ZstdDecoder};
use reqwest::header::{HeaderMap, CONTENT_ENCODING};
use reqwest::Response;
use tokio::io::{AsyncBufRead, AsyncRead};
use tokio_util::io::StreamReader;

use crate::activity::Activity;
use crate::phase::Phase;

/// The codings decoded, as advertised in `Accept-Encoding` unless the caller sets that header.
pub const ACCEPTED_CODINGS: &str = "zstd,gzip,deflate,br";

/// A content coding this client decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` (or its old name `x-gzip`).
    Gzip,
    /// `deflate`: a zlib stream.
    Deflate,
    /// `br`.
    Brotli,
    /// `zstd`.
    Zstd,
}

/// The coding of a response body when it is one this client decodes; `None` for no
/// `Content-Encoding`, `identity`, a list of codings, or one it does not know (that body is passed
/// on as it came, its headers unchanged).
pub fn coding_of(headers: &HeaderMap) -> Option<Coding> {
    let mut values = headers.get_all(CONTENT_ENCODING).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let name = value.to_str().ok()?.trim().to_ascii_lowercase();
    match name.as_str() {
        "gzip" | "x-gzip" => Some(Coding::Gzip),
        "deflate" => Some(Coding::Deflate),
        "br" => Some(Coding::Brotli),
        "zstd" => Some(Coding::Zstd),
        _ => None,
    }
}

/// The body of `response` as it arrives, each chunk counted as activity; a failure of the HTTP
/// client comes out as an `io::Error` that wraps the `reqwest::Error`.
pub fn wire(response: Response, activity: &Activity) -> impl AsyncBufRead + Send + Unpin + '_ {
    let chunks = futures_util::stream::unfold(response, move |mut response| async move {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                activity.moved(Phase::receive);
                Some((Ok(chunk), response))
            }
            Ok(None) => None,
            Err(err) => Some((Err(io::Error::other(err)), response)),
        }
    });
    StreamReader::new(Box::pin(chunks))
}

/// `body` decoded from `coding` (as it is with `None`).
pub fn decoded<'a>(
    coding: Option<Coding>,
    body: impl AsyncBufRead + Send + Unpin + 'a,
) -> Box<dyn AsyncRead + Send + Unpin + 'a> {
    match coding {
        None => Box::new(body),
        Some(Coding::Gzip) => {
            let mut decoder = GzipDecoder::new(body);
            decoder.multiple_members(true);
            Box::new(decoder)
        }
        Some(Coding::Deflate) => Box::new(ZlibDecoder::new(body)),
        Some(Coding::Brotli) => Box::new(BrotliDecoder::new(body)),
        Some(Coding::Zstd) => {
            let mut decoder = ZstdDecoder::new(body);
            decoder.multiple_members(true);
            Box::new(decoder)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use tokio::io::AsyncReadExt;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for value in values {
            h.append(CONTENT_ENCODING, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn codings_are_case_insensitive() {
        for (value, coding) in [
            ("gzip", Some(Coding::Gzip)),
            ("GZIP", Some(Coding::Gzip)),
            ("x-gzip", Some(Coding::Gzip)),
            ("Deflate", Some(Coding::Deflate)),
            ("BR", Some(Coding::Brotli)),
            (" zstd ", Some(Coding::Zstd)),
            ("identity", None),
            ("compress", None),
            ("gzip, br", None),
        ] {
            assert_eq!(coding_of(&headers(&[value])), coding, "{value}");
        }
        assert_eq!(coding_of(&headers(&[])), None);
        assert_eq!(coding_of(&headers(&["gzip", "br"])), None);
    }

    #[tokio::test]
    async fn a_series_of_gzip_members_is_decoded_whole() {
        // Two gzip members of "a\n" and "b\n" (RFC 1952 §2.2), each one stored deflate block.
        let member = |byte: u8, crc: [u8; 4]| {
            let mut m = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
            // A stored (uncompressed) deflate block: final, type 0, LEN 2, NLEN !2.
            m.extend([1, 2, 0, 0xfd, 0xff, byte, b'\n']);
            m.extend(crc);
            m.extend([2, 0, 0, 0]);
            m
        };
        let mut series = member(b'a', [0x07, 0xa1, 0xea, 0xdd]);
        series.extend(member(b'b', [0xc4, 0xf2, 0xc7, 0xf6]));
        let mut out = Vec::new();
        decoded(Some(Coding::Gzip), &series[..])
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"a\nb\n");
    }
}
