//! The AWS JSON 1.1 protocol as the service speaks it: request bodies in, `__type` error bodies
//! and JSON results out, with AWS's error names and HTTP status codes.

use base64::Engine as _;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest request body the service reads (PutRecords' 5 MiB of data, base64-inflated, plus slack).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// An error the service answers with: AWS's error name, HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The `__type` AWS uses, e.g. `ResourceNotFoundException`.
    pub code: &'static str,
    /// HTTP status code.
    pub status: u16,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with status 400 (what AWS uses for nearly all client and key errors).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status: 400,
            message: message.into(),
        }
    }

    /// Same error with another status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `ValidationException`: a constraint on an input member failed.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// `SerializationException`: the body is not the JSON the operation takes.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    /// `InternalFailure`-style 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalFailure", message).with_status(500)
    }

    /// The JSON body AWS sends for this error.
    pub fn body(&self) -> Bytes {
        let v = serde_json::json!({ "__type": self.code, "message": self.message });
        Bytes::from(v.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Result of one operation handler: a JSON body or an AWS error.
pub type OpResult = Result<Value, ApiError>;

/// Parse a request body into the operation's input type. Malformed JSON or wrong member types
/// give `SerializationException`, as AWS does.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}" as &[u8]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| ApiError::serialization(format!("{e}")))
}

/// A required member: `ValidationException` naming it when absent.
pub fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// Decode a base64 blob member.
pub fn blob(value: &str, member: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .map_err(|_| ApiError::serialization(format!("member '{member}' is not valid base64")))
}

/// Encode bytes as a base64 blob member.
pub fn encode_blob(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A timestamp member: epoch seconds with a fraction, as JSON 1.1 sends them.
pub fn epoch_seconds(t: std::time::Duration) -> Value {
    let ms = t.as_millis() as f64 / 1000.0;
    serde_json::json!(ms)
}

/// Check a string member's length.
pub fn check_len(value: &str, member: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length between {min} and {max}"
        )));
    }
    Ok(())
}

/// An XML answer (S3, STS, IAM) written through `quick-xml`'s writer, which escapes every
/// text and attribute value.
pub struct Xml {
    w: quick_xml::Writer<Vec<u8>>,
}

impl Xml {
    /// A document, with its `<?xml ...?>` declaration (S3's answers).
    pub fn document() -> Self {
        let mut x = Self::fragment();
        let decl = quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None);
        x.event(quick_xml::events::Event::Decl(decl));
        x.w.get_mut().push(b'\n');
        x
    }

    /// Without a declaration (the query protocol's answers).
    pub fn fragment() -> Self {
        Self {
            w: quick_xml::Writer::new(Vec::new()),
        }
    }

    fn event(&mut self, e: quick_xml::events::Event<'_>) {
        // Writing into a Vec cannot fail.
        let _ = self.w.write_event(e);
    }

    /// `<name attr="value" ...>`.
    pub fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        let mut start = quick_xml::events::BytesStart::new(name);
        start.extend_attributes(attributes.iter().copied());
        self.event(quick_xml::events::Event::Start(start));
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.event(quick_xml::events::Event::End(
            quick_xml::events::BytesEnd::new(name),
        ));
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub fn text(&mut self, name: &str, text: impl std::fmt::Display) -> &mut Self {
        self.open(name, &[]);
        let text = text.to_string();
        self.event(quick_xml::events::Event::Text(
            quick_xml::events::BytesText::new(&text),
        ));
        self.close(name)
    }

    /// The text written.
    pub fn finish(self) -> String {
        String::from_utf8(self.w.into_inner()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_text_and_attributes_and_reads_back() {
        let mut x = Xml::document();
        x.open("R", &[("xmlns", "urn:a\"b")])
            .text("K", r#"<k a='1' b="2">&</k>"#)
            .close("R");
        let text = x.finish();
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R "),
            "{text}"
        );
        assert!(!text.contains("<k"), "{text}");
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(rename = "@xmlns")]
            xmlns: String,
            #[serde(rename = "K")]
            k: String,
        }
        let r: R = quick_xml::de::from_str(&text).expect("reads back");
        assert_eq!(r.xmlns, "urn:a\"b");
        assert_eq!(r.k, r#"<k a='1' b="2">&</k>"#);
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct In {
        #[allow(dead_code)]
        stream_name: Option<String>,
    }

    #[test]
    fn malformed_json_is_a_serialization_exception() {
        let e = parse::<In>(b"{not json").unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = parse::<In>(br#"{"StreamName": 5}"#).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        assert!(parse::<In>(b"").is_ok());
    }

    #[test]
    fn error_body_carries_type() {
        let body = ApiError::new("KMSDisabledException", "off").body();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["__type"], "KMSDisabledException");
    }
}
