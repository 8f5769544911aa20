//! S3's REST-XML answers: ListObjectsV2's result and the `<Error>` document.

use std::time::{Duration, SystemTime};

use crate::wire::{ApiError, Xml};

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
    let mut x = Xml::document();
    x.open("Error", &[])
        .text("Code", e.code)
        .text("Message", &e.message)
        .text("Resource", resource)
        .text("RequestId", request_id)
        .close("Error");
    x.finish()
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
    let mut x = Xml::document();
    x.open(
        "ListBucketResult",
        &[("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")],
    )
    .text("Name", l.bucket)
    .text("Prefix", l.prefix)
    .text("KeyCount", l.objects.len())
    .text("MaxKeys", l.max_keys)
    .text("IsTruncated", l.next.is_some());
    if let Some(s) = l.start_after {
        x.text("StartAfter", s);
    }
    if let Some(c) = l.continuation {
        x.text("ContinuationToken", c);
    }
    if let Some(n) = &l.next {
        x.text("NextContinuationToken", n);
    }
    for o in &l.objects {
        x.open("Contents", &[])
            .text("Key", o.key)
            .text("LastModified", iso8601(o.last_modified))
            .text("ETag", o.etag)
            .text("Size", o.size)
            .text("StorageClass", "STANDARD")
            .close("Contents");
    }
    x.close("ListBucketResult");
    x.finish()
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
    fn a_listing_reads_back_with_its_special_characters() {
        let l = Listing {
            bucket: "b",
            prefix: "a<&>'\"",
            start_after: None,
            continuation: Some("t&1"),
            next: Some("t&2".into()),
            max_keys: 2,
            objects: vec![Listed {
                key: "a<&>'\"/1",
                last_modified: Duration::from_millis(1_796_185_155_250),
                etag: "\"abc\"",
                size: 7,
            }],
        };
        let text = listing(&l);
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Contents {
            key: String,
            last_modified: String,
            e_tag: String,
            size: usize,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Result {
            prefix: String,
            key_count: usize,
            is_truncated: bool,
            next_continuation_token: String,
            contents: Vec<Contents>,
        }
        let r: Result = quick_xml::de::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(r.prefix, "a<&>'\"");
        assert_eq!((r.key_count, r.is_truncated), (1, true));
        assert_eq!(r.next_continuation_token, "t&2");
        assert_eq!(r.contents[0].key, "a<&>'\"/1");
        assert_eq!(r.contents[0].last_modified, "2026-12-02T04:19:15.250Z");
        assert_eq!(r.contents[0].e_tag, "\"abc\"");
        assert_eq!(r.contents[0].size, 7);
    }
}
