//! The `multipart/form-data` framing around the file: text parts, the file part's header, and
//! the closing boundary, so that the exact `Content-Length` is known before a byte is sent.

use bytes::Bytes;

/// The bytes that go before and after the file's contents.
#[derive(Debug, Clone)]
pub struct MultipartLayout {
    /// The boundary, without leading dashes.
    pub boundary: String,
    /// Text parts and the file part's header.
    pub head: Bytes,
    /// CRLF after the file contents, then the closing boundary.
    pub tail: Bytes,
}

impl MultipartLayout {
    /// Lays out `fields` as text parts followed by the header of a file part.
    pub fn new(
        boundary: String,
        fields: &[(String, String)],
        field_name: &str,
        file_name: &str,
        content_type: &str,
    ) -> Self {
        let mut head = Vec::with_capacity(256 + fields.len() * 64);
        for (name, value) in fields {
            head.extend_from_slice(b"--");
            head.extend_from_slice(boundary.as_bytes());
            head.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            head.extend_from_slice(escape_quoted(name).as_bytes());
            head.extend_from_slice(b"\"\r\n\r\n");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"--");
        head.extend_from_slice(boundary.as_bytes());
        head.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        head.extend_from_slice(escape_quoted(field_name).as_bytes());
        head.extend_from_slice(b"\"; filename=\"");
        head.extend_from_slice(escape_quoted(file_name).as_bytes());
        head.extend_from_slice(b"\"\r\nContent-Type: ");
        head.extend_from_slice(content_type.as_bytes());
        head.extend_from_slice(b"\r\n\r\n");
        let tail = format!("\r\n--{boundary}--\r\n");
        MultipartLayout {
            boundary,
            head: Bytes::from(head),
            tail: Bytes::from(tail),
        }
    }

    /// The exact length of the whole body for a file of `file_len` bytes.
    pub fn content_length(&self, file_len: u64) -> u64 {
        self.head.len() as u64 + file_len + self.tail.len() as u64
    }

    /// The request's `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }
}

/// A fresh random boundary in the style browsers use.
pub fn random_boundary() -> String {
    format!(
        "----UploadTaskBoundary{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

/// Escapes a name for a quoted `Content-Disposition` parameter as browsers do:
/// `"` → `%22`, CR → `%0D`, LF → `%0A`; everything else, non-ASCII included, stays UTF-8.
pub fn escape_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            other => out.push(other),
        }
    }
    out
}

/// The MIME type for a file name, from its extension; `application/octet-stream` when unknown.
pub fn guess_content_type(file_name: &str) -> String {
    mime_guess::from_path(file_name)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(fields: &[(&str, &str)]) -> MultipartLayout {
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        MultipartLayout::new("B".into(), &fields, "file", "a.txt", "text/plain")
    }

    #[test]
    fn body_is_framed_exactly() {
        let l = layout(&[("k", "v")]);
        let mut body = l.head.to_vec();
        body.extend_from_slice(b"DATA");
        body.extend_from_slice(&l.tail);
        let expected = "--B\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nDATA\r\n--B--\r\n";
        assert_eq!(String::from_utf8(body.clone()).unwrap(), expected);
        assert_eq!(l.content_length(4), body.len() as u64);
    }

    #[test]
    fn length_counts_utf8_bytes() {
        let l = layout(&[("名前", "値")]);
        let text = String::from_utf8(l.head.to_vec()).unwrap();
        assert!(text.contains("name=\"名前\""));
        assert_eq!(l.content_length(0), (l.head.len() + l.tail.len()) as u64);
    }

    #[test]
    fn escaping_prevents_forged_parts() {
        assert_eq!(
            escape_quoted("a\"b\r\nContent-Type: x"),
            "a%22b%0D%0AContent-Type: x"
        );
        assert_eq!(escape_quoted("ünï.txt"), "ünï.txt");
    }

    #[test]
    fn content_types_from_extension() {
        assert_eq!(guess_content_type("a.png"), "image/png");
        assert_eq!(guess_content_type("a.JSON"), "application/json");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn boundaries_differ() {
        assert_ne!(random_boundary(), random_boundary());
    }
}
