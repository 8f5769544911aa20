//! S3's REST operations, path-style (`/<bucket>` and `/<bucket>/<key>`): CreateBucket,
//! HeadBucket, DeleteBucket, ListObjectsV2, PutObject, GetObject, HeadObject, DeleteObject.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;

use super::{bucket_arn, object_arn, xml, ObjectSse, WriteSse};
use crate::iam::Decision;
use crate::service::{Inner, ServiceResponse};
use crate::wire::ApiError;

/// Objects a ListObjectsV2 page holds at most (S3's cap on MaxKeys).
const MAX_KEYS: usize = 1_000;

/// One S3 request, its caller authenticated.
pub struct Request<'a> {
    /// Method.
    pub method: &'a http::Method,
    /// Path and query.
    pub uri: &'a http::Uri,
    /// Headers.
    pub headers: &'a http::HeaderMap,
    /// Body.
    pub body: Bytes,
}

fn denied() -> ApiError {
    ApiError::new("AccessDenied", "Access Denied").with_status(403)
}

fn authorize(svc: &Inner, principal: &str, action: &str, resource: &str) -> Result<(), ApiError> {
    match svc.iam.read().authorize(principal, action, resource) {
        Decision::Allow => Ok(()),
        _ => Err(denied()),
    }
}

fn not_implemented(what: &str) -> ApiError {
    ApiError::new(
        "NotImplemented",
        format!("{what} is not implemented by the embedded S3"),
    )
    .with_status(501)
}

/// The bucket and key of a path-style request (the key percent-decoded).
fn target(uri: &http::Uri) -> Result<(String, Option<String>), ApiError> {
    let path = uri.path().trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) if !k.is_empty() => (b, Some(k)),
        Some((b, _)) => (b, None),
        None => (path, None),
    };
    if bucket.is_empty() {
        return Err(not_implemented("ListBuckets"));
    }
    let key = key
        .map(|k| {
            percent_encoding::percent_decode_str(k)
                .decode_utf8()
                .map(|k| k.into_owned())
                .map_err(|_| ApiError::new("InvalidURI", "the key is not UTF-8"))
        })
        .transpose()?;
    Ok((bucket.to_string(), key))
}

fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Answer {
    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn xml(body: String) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/xml".into())],
            body: Bytes::from(body),
        }
    }
}

fn sse_headers(sse: &ObjectSse, headers: &mut Vec<(&'static str, String)>) {
    if let ObjectSse::Kms { key_arn, .. } = sse {
        headers.push(("x-amz-server-side-encryption", "aws:kms".into()));
        headers.push((
            "x-amz-server-side-encryption-aws-kms-key-id",
            key_arn.clone(),
        ));
    }
}

/// Answer one S3 request from `principal`.
pub fn handle(
    svc: &Inner,
    principal: &str,
    req: Request<'_>,
    now: Duration,
    request_id: &str,
) -> ServiceResponse {
    let resource = req.uri.path().to_string();
    let head = req.method == http::Method::HEAD;
    let answer = match target(req.uri) {
        Ok((bucket, None)) => bucket_op(svc, principal, &req, &bucket, now),
        Ok((bucket, Some(key))) => object_op(svc, principal, &req, &bucket, &key, now),
        Err(e) => Err(e),
    };
    let (status, headers, body) = match answer {
        Ok(a) => (a.status, a.headers, a.body),
        Err(e) => {
            let body = if head {
                Bytes::new()
            } else {
                Bytes::from(xml::error(&e, &resource, request_id))
            };
            (
                e.status,
                vec![("content-type", "application/xml".to_string())],
                body,
            )
        }
    };
    let mut b = http::Response::builder()
        .status(status)
        .header("x-amz-request-id", request_id)
        .header("x-amz-id-2", request_id);
    for (name, value) in headers {
        b = b.header(name, value);
    }
    b.body(body)
        .unwrap_or_else(|_| http::Response::new(Bytes::new()))
}

fn query(uri: &http::Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn bucket_op(
    svc: &Inner,
    principal: &str,
    req: &Request<'_>,
    bucket: &str,
    now: Duration,
) -> Result<Answer, ApiError> {
    let arn = bucket_arn(bucket);
    let q = query(req.uri);
    match *req.method {
        http::Method::PUT if q.is_empty() => {
            authorize(svc, principal, "s3:CreateBucket", &arn)?;
            if !valid_bucket_name(bucket) {
                return Err(ApiError::new(
                    "InvalidBucketName",
                    format!("The specified bucket is not valid: {bucket} (3 to 63 of a-z, 0-9, '-' and '.', beginning and ending with a letter or digit)"),
                ));
            }
            let mut all = svc.s3.by_name.lock();
            if all.contains_key(bucket) {
                return Err(ApiError::new(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                )
                .with_status(409));
            }
            all.insert(
                bucket.to_string(),
                super::Bucket {
                    created: now,
                    ..Default::default()
                },
            );
            let mut a = Answer::empty(200);
            a.headers.push(("location", format!("/{bucket}")));
            Ok(a)
        }
        http::Method::HEAD => {
            authorize(svc, principal, "s3:ListBucket", &arn)?;
            if svc.s3.by_name.lock().contains_key(bucket) {
                Ok(Answer::empty(200))
            } else {
                Err(ApiError::new("NoSuchBucket", "").with_status(404))
            }
        }
        http::Method::DELETE if q.is_empty() => {
            authorize(svc, principal, "s3:DeleteBucket", &arn)?;
            let mut all = svc.s3.by_name.lock();
            let b = all
                .get(bucket)
                .ok_or_else(|| super::no_such_bucket(bucket))?;
            if !b.objects.is_empty() {
                return Err(ApiError::new(
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty",
                )
                .with_status(409));
            }
            all.remove(bucket);
            Ok(Answer::empty(204))
        }
        http::Method::GET if q.get("list-type").map(String::as_str) == Some("2") => {
            authorize(svc, principal, "s3:ListBucket", &arn)?;
            crate::firehose::delivery::run_due(svc, now);
            list(svc, bucket, &q)
        }
        _ => Err(not_implemented(&format!(
            "{} on a bucket with ?{}",
            req.method,
            req.uri.query().unwrap_or_default()
        ))),
    }
}

fn list(svc: &Inner, bucket: &str, q: &HashMap<String, String>) -> Result<Answer, ApiError> {
    let max_keys = match q.get("max-keys") {
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| ApiError::new("InvalidArgument", "max-keys must be a number"))?
            .min(MAX_KEYS),
        None => MAX_KEYS,
    };
    let prefix = q.get("prefix").map(String::as_str).unwrap_or_default();
    let start_after = q.get("start-after").map(String::as_str);
    let continuation = q.get("continuation-token").map(String::as_str);
    let from = match continuation {
        Some(c) => Some(
            hex::decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ApiError::new(
                        "InvalidArgument",
                        "The continuation token provided is incorrect",
                    )
                })?,
        ),
        None => start_after.map(str::to_owned),
    };
    let all = svc.s3.by_name.lock();
    let b = all
        .get(bucket)
        .ok_or_else(|| super::no_such_bucket(bucket))?;
    let mut matching = b
        .objects
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .filter(|(k, _)| from.as_deref().is_none_or(|f| k.as_str() > f));
    let page: Vec<_> = matching.by_ref().take(max_keys).collect();
    let next = if matching.next().is_some() {
        page.last().map(|(k, _)| hex::encode(k.as_bytes()))
    } else {
        None
    };
    let listing = xml::Listing {
        bucket,
        prefix,
        start_after,
        continuation,
        next,
        max_keys,
        objects: page
            .iter()
            .map(|(k, o)| xml::Listed {
                key: k,
                last_modified: o.last_modified,
                etag: &o.etag,
                size: o.body.len(),
            })
            .collect(),
    };
    Ok(Answer::xml(xml::listing(&listing)))
}

fn header<'a>(req: &'a Request<'_>, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn object_op(
    svc: &Inner,
    principal: &str,
    req: &Request<'_>,
    bucket: &str,
    key: &str,
    now: Duration,
) -> Result<Answer, ApiError> {
    let arn = object_arn(bucket, key);
    match *req.method {
        http::Method::PUT => {
            authorize(svc, principal, "s3:PutObject", &arn)?;
            let chunked = header(req, "content-encoding")
                .is_some_and(|v| v.contains("aws-chunked"))
                || header(req, "x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"));
            if chunked {
                return Err(not_implemented(
                    "aws-chunked uploads (a streaming PutObject; send the body whole)",
                ));
            }
            let sse = match header(req, "x-amz-server-side-encryption") {
                None => WriteSse::None,
                Some("aws:kms") => WriteSse::Kms(
                    header(req, "x-amz-server-side-encryption-aws-kms-key-id").map(str::to_owned),
                ),
                Some(other) => {
                    return Err(ApiError::new(
                        "InvalidArgument",
                        format!(
                            "x-amz-server-side-encryption {other}: the embedded S3 takes aws:kms"
                        ),
                    ))
                }
            };
            let written = super::put(svc, principal, bucket, key, req.body.clone(), &sse, now)?;
            let mut a = Answer::empty(200);
            a.headers.push((
                "etag",
                format!("\"{}\"", hex::encode(super::md5_of(&req.body))),
            ));
            sse_headers(&written, &mut a.headers);
            Ok(a)
        }
        http::Method::GET | http::Method::HEAD => {
            authorize(svc, principal, "s3:GetObject", &arn)?;
            crate::firehose::delivery::run_due(svc, now);
            let object = super::get(svc, principal, bucket, key, now)?;
            let mut a = Answer::empty(200);
            a.headers
                .push(("content-type", "application/octet-stream".into()));
            a.headers
                .push(("content-length", object.body.len().to_string()));
            a.headers.push(("etag", object.etag.clone()));
            a.headers
                .push(("last-modified", xml::http_date(object.last_modified)));
            sse_headers(&object.sse, &mut a.headers);
            if *req.method == http::Method::GET {
                a.body = object.body;
            }
            Ok(a)
        }
        http::Method::DELETE => {
            authorize(svc, principal, "s3:DeleteObject", &arn)?;
            let mut all = svc.s3.by_name.lock();
            let b = all
                .get_mut(bucket)
                .ok_or_else(|| super::no_such_bucket(bucket))?;
            b.objects.remove(key);
            Ok(Answer::empty(204))
        }
        _ => Err(not_implemented(&format!("{} on an object", req.method))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_targets_split_bucket_and_key() {
        let uri: http::Uri = "/b/2026/12/02/a%20b".parse().unwrap();
        assert_eq!(
            target(&uri).unwrap(),
            ("b".to_string(), Some("2026/12/02/a b".to_string()))
        );
        let uri: http::Uri = "/b?list-type=2".parse().unwrap();
        assert_eq!(target(&uri).unwrap(), ("b".to_string(), None));
        let uri: http::Uri = "/b/".parse().unwrap();
        assert_eq!(target(&uri).unwrap(), ("b".to_string(), None));
    }

    #[test]
    fn bucket_names_follow_s3_s_rules() {
        assert!(valid_bucket_name("kcb-run-01.dest"));
        assert!(!valid_bucket_name("ab"));
        assert!(!valid_bucket_name("Upper"));
        assert!(!valid_bucket_name("-dash"));
    }
}
