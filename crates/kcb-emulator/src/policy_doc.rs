//! An AWS policy document as its JSON has it, read once with serde for both of its readers: an
//! IAM identity policy (`iam_api`'s PutRolePolicy) and a KMS key policy (`keypolicy`). Each
//! element that AWS lets be a string or a list of strings is [`Strings`]; what an element means
//! (and which ones the embedded service can evaluate) is the reader's.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A policy document.
#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    /// The policy language's version (`2012-10-17`).
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    /// The policy's id.
    #[serde(rename = "Id", default)]
    pub id: Option<String>,
    /// Its statements (one object, or a list of them).
    #[serde(rename = "Statement")]
    pub statement: OneOrMany<Statement>,
}

/// One statement, its elements as written.
#[derive(Debug, Clone, Deserialize)]
pub struct Statement {
    /// Its id.
    #[serde(rename = "Sid", default)]
    pub sid: Option<String>,
    /// `Allow` or `Deny` (checked by the reader, which names the statement).
    #[serde(rename = "Effect", default)]
    pub effect: Option<String>,
    /// Who it applies to (a key policy's).
    #[serde(rename = "Principal", default)]
    pub principal: Option<Principal>,
    /// Everyone but these.
    #[serde(rename = "NotPrincipal", default)]
    pub not_principal: Option<Principal>,
    /// Actions.
    #[serde(rename = "Action", default)]
    pub action: Option<Strings>,
    /// Every action but these.
    #[serde(rename = "NotAction", default)]
    pub not_action: Option<Strings>,
    /// Resources (an identity policy's).
    #[serde(rename = "Resource", default)]
    pub resource: Option<Strings>,
    /// Every resource but these.
    #[serde(rename = "NotResource", default)]
    pub not_resource: Option<Strings>,
    /// Operator -> condition key -> values.
    #[serde(rename = "Condition", default)]
    pub condition: Option<BTreeMap<String, BTreeMap<String, Strings>>>,
}

/// A statement's principal: `"*"`, or kinds (`AWS`, `Service`, ...) each naming some.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A bare string (only `"*"` is meaningful).
    Bare(String),
    /// Kind -> principals.
    By(BTreeMap<String, Strings>),
}

/// One object, or a list of them.
#[derive(Debug, Clone)]
pub enum OneOrMany<T> {
    /// A single one.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// As a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(t) => vec![t],
            Self::Many(v) => v,
        }
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Principal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"*\" or an object such as {\"AWS\": \"arn:aws:iam::<account>:root\"}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Principal, E> {
                Ok(Principal::Bare(s.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Principal, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(Principal::By)
            }
        }
        d.deserialize_any(V)
    }
}

// By hand rather than `#[serde(untagged)]`: an untagged enum's error says only that no variant
// matched; these pass on the inner error (which element, what was expected, where).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or a list of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OneOrMany<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany<T>, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string or a list of strings, as a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings(pub Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Strings, E> {
                Ok(Strings(vec![s.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON at all.
    #[error("is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a policy document's shape.
    #[error("is not a policy document: {0}")]
    Shape(String),
}

/// Read a policy document.
pub fn parse(text: &str) -> Result<Document, DocumentError> {
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => DocumentError::Shape(e.to_string()),
        _ => DocumentError::NotJson(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_lists_and_one_statement_or_many() {
        let d = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":["a","b"]}}"#)
            .expect("one statement");
        let s = d.statement.into_vec();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].action, Some(Strings(vec!["kms:*".into()])));
        assert_eq!(s[0].resource, Some(Strings(vec!["a".into(), "b".into()])));
        let d = parse(r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":["x","y"]},"Action":[]},{"Principal":"*"}]}"#)
            .expect("two");
        assert_eq!(d.statement.into_vec().len(), 2);
    }

    #[test]
    fn bad_documents_say_what_and_where() {
        assert!(matches!(parse("{"), Err(DocumentError::NotJson(_))));
        let e = parse("{}").unwrap_err().to_string();
        assert!(e.contains("Statement"), "{e}");
        let e = parse(r#"{"Statement":{"Action":1}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a string or a list of strings"), "{e}");
    }
}
