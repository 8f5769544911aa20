//! S3's REST-XML answers: ListObjectsV2's result and the `<Error>` document.

use std::time::{Duration, SystemTime};

use crate::wire::ApiError;

pub use crate::wire::xml_escape as escape;

/// An instant of the service's clock (time since the Unix epoch) as ISO 8601 with
/// milliseconds, as S3 writes `LastModified` in a listing.
pub fn iso8601(t: Duration) -> String {
    humantime::format_rfc3339_millis(SystemTime::UNIX_EPOCH + t).to_string()
}

/// The same instant as an HTTP date (GetObject's `Last-Modified` header, whole seconds).
pub fn http_date(t: Duration) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(t.as_secs()))
}

/// The `<Error>` body S3 sends.
pub fn error(e: &ApiError, resource: &str, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{request_id}</RequestId></Error>",
        escape(e.code),
        escape(&e.message),
        escape(resource)
    )
}

/// One object in a listing.
pub struct Listed<'a> {
    /// Its key.
    pub key: &'a str,
    /// When written.
    pub last_modified: Duration,
    /// Quoted MD5.
    pub etag: &'a str,
    /// Bytes.
    pub size: usize,
}

/// What a ListObjectsV2 answers.
pub struct Listing<'a> {
    /// The bucket.
    pub bucket: &'a str,
    /// The prefix asked for.
    pub prefix: &'a str,
    /// The start-after asked for.
    pub start_after: Option<&'a str>,
    /// The continuation token given.
    pub continuation: Option<&'a str>,
    /// The token of the next page, when truncated.
    pub next: Option<String>,
    /// MaxKeys.
    pub max_keys: usize,
    /// The objects of this page.
    pub objects: Vec<Listed<'a>>,
}

/// ListObjectsV2's `<ListBucketResult>`.
pub fn listing(l: &Listing<'_>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    out.push_str(&format!(
        "<Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{}</MaxKeys><IsTruncated>{}</IsTruncated>",
        escape(l.bucket),
        escape(l.prefix),
        l.objects.len(),
        l.max_keys,
        l.next.is_some()
    ));
    if let Some(s) = l.start_after {
        out.push_str(&format!("<StartAfter>{}</StartAfter>", escape(s)));
    }
    if let Some(c) = l.continuation {
        out.push_str(&format!(
            "<ContinuationToken>{}</ContinuationToken>",
            escape(c)
        ));
    }
    if let Some(n) = &l.next {
        out.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape(n)
        ));
    }
    for o in &l.objects {
        out.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            escape(o.key),
            iso8601(o.last_modified),
            escape(o.etag),
            o.size
        ));
    }
    out.push_str("</ListBucketResult>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_calendar_s_and_http_s() {
        // 2026-12-02T04:19:15.250Z
        let t = Duration::from_millis(1_796_185_155_250);
        assert_eq!(iso8601(t), "2026-12-02T04:19:15.250Z");
        assert_eq!(http_date(t), "Wed, 02 Dec 2026 04:19:15 GMT");
        assert_eq!(iso8601(Duration::ZERO), "1970-01-01T00:00:00.000Z");
        // A leap day.
        assert_eq!(
            iso8601(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
