//! Errors from loading a scenario, and the map from a field back to its line in the file.
//!
//! Every error names the file, the line where it is known, the dotted field path and what
//! would be valid, e.g.
//! `scenarios/x.toml:12: workload.rate_per_sec: must be > 0 and <= 50000 records/s (got -1)`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{ImDocument, Item, Table, TableLike, Value};

/// One step of a [`FieldPath`]: a table key, or an index (0-based) into an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A key of a table, as written in the file.
    Key(String),
    /// A 0-based index into an array or an array of tables (`[[paths]]`).
    Index(usize),
}

/// A dotted path to a field, e.g. `paths[1].cache.max_age`; empty means the whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The path of the whole document.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a table key.
    pub fn key(&self, key: &str) -> Self {
        self.with(Segment::Key(key.to_owned()))
    }

    /// This path extended by an array index (0-based).
    pub fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    /// The steps of this path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Drops what follows the last `key` (a span inside a table header can point past it).
    fn truncate_after(&mut self, key: &str) {
        let last = self
            .0
            .iter()
            .rposition(|s| *s == Segment::Key(key.to_owned()));
        if let Some(i) = last {
            self.0.truncate(i + 1);
        }
    }

    fn with(&self, segment: Segment) -> Self {
        let mut out = self.clone();
        out.0.push(segment);
        out
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write_key(f, k)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes a key bare when TOML would allow it bare, quoted otherwise.
fn write_key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        f.write_str(key)
    } else {
        write!(f, "{key:?}")
    }
}

/// Why a scenario could not be loaded. Every variant names the file;
/// see [`ScenarioError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read the scenario file: {source}", .file.display())]
    Read {
        /// The file as given.
        file: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML.
    #[error("{}: not valid TOML: {message}", location(.file, .line))]
    Syntax {
        /// The file as given.
        file: PathBuf,
        /// 1-based line of the error, where known.
        line: Option<usize>,
        /// What the TOML parser said.
        message: String,
    },
    /// The TOML is well formed but a field is missing, unknown, of the wrong type or out of range.
    #[error("{}: {field}: {message}", location(.file, .line))]
    Invalid {
        /// The file as given.
        file: PathBuf,
        /// 1-based line of the field (or of its nearest enclosing table), where known.
        line: Option<usize>,
        /// Dotted path of the field, e.g. `workload.rate_per_sec`.
        field: FieldPath,
        /// What is wrong and what would be valid.
        message: String,
    },
}

impl ScenarioError {
    /// The process exit code for a bad scenario: 2, as for any usage error.
    pub fn exit_code(&self) -> i32 {
        2
    }

    /// The scenario file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            Self::Read { file, .. } | Self::Syntax { file, .. } | Self::Invalid { file, .. } => {
                file
            }
        }
    }

    /// The 1-based line the error points at, where known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Read { .. } => None,
            Self::Syntax { line, .. } | Self::Invalid { line, .. } => *line,
        }
    }

    /// The field the error is about, for [`ScenarioError::Invalid`].
    pub fn field(&self) -> Option<&FieldPath> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn location<'a>(file: &'a Path, line: &Option<usize>) -> Location<'a> {
    Location { file, line: *line }
}

/// `file:line`, or `file` when the line is unknown.
struct Location<'a> {
    file: &'a Path,
    line: Option<usize>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// A validation failure before the file and line are attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// The field at fault.
    pub field: FieldPath,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl Problem {
    pub fn new(field: &FieldPath, message: impl Into<String>) -> Self {
        Self {
            field: field.clone(),
            message: message.into(),
        }
    }
}

/// The parsed text with spans, used to turn a field path into a line and an offset into a path.
pub(crate) struct SourceMap<'a> {
    text: &'a str,
    doc: ImDocument<&'a str>,
}

/// A node reached while walking the document.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> SourceMap<'a> {
    /// Parses `text`, or returns the syntax error as a [`ScenarioError::Syntax`].
    pub fn parse(text: &'a str, file: &Path) -> Result<Self, ScenarioError> {
        match ImDocument::parse(text) {
            Ok(doc) => Ok(Self { text, doc }),
            Err(e) => Err(ScenarioError::Syntax {
                file: file.to_owned(),
                line: e.span().map(|s| line_at(text, s.start)),
                message: one_line(e.message()),
            }),
        }
    }

    /// Attaches the file and the field's line to a validation problem.
    pub fn invalid(&self, file: &Path, problem: Problem) -> ScenarioError {
        ScenarioError::Invalid {
            file: file.to_owned(),
            line: self.line_of(&problem.field),
            field: problem.field,
            message: problem.message,
        }
    }

    /// Turns a deserialization error (unknown field, wrong type, missing field) into an error
    /// that names the field, using the span the TOML deserializer reports.
    pub fn deserialize_error(&self, file: &Path, err: &toml::de::Error) -> ScenarioError {
        let span = err.span();
        let is_root = span.is_none() || span == self.doc.as_table().span();
        let mut field = match &span {
            Some(s) if !is_root => self.field_at(s.start),
            _ => FieldPath::root(),
        };
        let mut message = one_line(err.message());
        if let Some(unknown) = quoted_after(&message, "unknown field `") {
            field.truncate_after(&unknown);
        }
        if let Some(missing) = quoted_after(&message, "missing field `") {
            field = field.key(&missing);
            message = format!("required field `{missing}` is missing");
        }
        ScenarioError::Invalid {
            file: file.to_owned(),
            line: span
                .filter(|_| !is_root)
                .map(|s| line_at(self.text, s.start)),
            field,
            message,
        }
    }

    /// The 1-based line of a field's key, or of the nearest enclosing table that exists.
    pub fn line_of(&self, field: &FieldPath) -> Option<usize> {
        let mut node = Node::Table(self.doc.as_table());
        let mut found = None;
        for segment in field.segments() {
            let Some((child, span)) = child(node, segment) else {
                break;
            };
            found = span.or(found);
            node = child;
        }
        found.map(|s| line_at(self.text, s.start))
    }

    /// The deepest field whose key or value covers `offset`.
    pub fn field_at(&self, offset: usize) -> FieldPath {
        let mut path = FieldPath::root();
        find(Node::Table(self.doc.as_table()), offset, &mut path);
        path
    }
}

/// Depth-first search for the field at `offset`; true when `path` now names it.
fn find(node: Node<'_>, offset: usize, path: &mut FieldPath) -> bool {
    for (segment, key_span, child) in children(node) {
        path.0.push(segment);
        if find(child, offset, path)
            || covers(key_span.as_ref(), offset)
            || covers(span_of(child).as_ref(), offset)
        {
            return true;
        }
        path.0.pop();
    }
    false
}

fn covers(span: Option<&Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

/// Every child of a node with its segment and the span of its key (for table entries).
fn children(node: Node<'_>) -> Vec<(Segment, Option<Range<usize>>, Node<'_>)> {
    if let Some(table) = table_like(node) {
        return table
            .iter()
            .filter_map(|(k, _)| table.get_key_value(k))
            .map(|(k, item)| (Segment::Key(k.get().to_owned()), k.span(), item_node(item)))
            .collect();
    }
    match node {
        Node::Item(Item::ArrayOfTables(a)) => a
            .iter()
            .enumerate()
            .map(|(i, t)| (Segment::Index(i), None, Node::Table(t)))
            .collect(),
        Node::Value(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Segment::Index(i), None, Node::Value(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// One step down from `node`, with the span that best locates the step (the key, else the node).
fn child<'a>(node: Node<'a>, segment: &Segment) -> Option<(Node<'a>, Option<Range<usize>>)> {
    match segment {
        Segment::Key(key) => {
            let (k, item) = table_like(node)?.get_key_value(key)?;
            let child = item_node(item);
            Some((child, k.span().or_else(|| span_of(child))))
        }
        Segment::Index(i) => {
            let child = children(node).into_iter().nth(*i)?.2;
            Some((child, span_of(child)))
        }
    }
}

fn item_node(item: &Item) -> Node<'_> {
    match item {
        Item::Value(v) => Node::Value(v),
        other => Node::Item(other),
    }
}

fn table_like(node: Node<'_>) -> Option<&dyn TableLike> {
    match node {
        Node::Item(item) => item.as_table_like(),
        Node::Value(Value::InlineTable(t)) => Some(t),
        Node::Value(_) => None,
        Node::Table(t) => Some(t),
    }
}

fn span_of(node: Node<'_>) -> Option<Range<usize>> {
    match node {
        Node::Item(item) => item.span(),
        Node::Value(value) => value.span(),
        Node::Table(table) => table.span(),
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn one_line(message: &str) -> String {
    message.trim().replace('\n', "; ")
}

/// The name in serde's "missing field `x`" / "unknown field `x`, ..." messages.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> SourceMap<'_> {
        SourceMap::parse(text, Path::new("f.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn displays_like_the_style_guide() {
        let err = ScenarioError::Invalid {
            file: PathBuf::from("scenarios/x.toml"),
            line: Some(12),
            field: FieldPath::root().key("workload").key("rate_per_sec"),
            message: "must be > 0 and <= 50000 records/s (got -1)".into(),
        };
        let want = "scenarios/x.toml:12: workload.rate_per_sec: must be > 0 and <= 50000 records/s (got -1)";
        assert_eq!(err.to_string(), want);
        assert_eq!((err.line(), err.exit_code()), (Some(12), 2));
        assert_eq!(err.file(), Path::new("scenarios/x.toml"));
    }

    #[test]
    fn field_paths_quote_keys_toml_would_quote() {
        let p = FieldPath::root()
            .key("expect")
            .key("envelope-cached")
            .key("a.b")
            .index(2);
        assert_eq!(p.to_string(), "expect.envelope-cached.\"a.b\"[2]");
        assert_eq!(FieldPath::root().to_string(), "(top level)");
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let text = "name = \"x\"\n\n[stream\n";
        let Err(err) = SourceMap::parse(text, Path::new("f.toml")) else {
            panic!("parsed");
        };
        assert!(
            err.to_string().starts_with("f.toml:3: not valid TOML: "),
            "{err}"
        );
        let dup = SourceMap::parse("a = 1\na = 2\n", Path::new("f.toml")).err();
        assert_eq!(dup.and_then(|e| e.line()), Some(2));
    }

    #[test]
    fn finds_lines_of_fields_and_falls_back_to_the_table() {
        let m = map("a = 1\n[t]\nx = 1\n[[p]]\nk = 1\n[[p]]\nk = 2\nc = { d = [1, 2] }\n");
        let root = FieldPath::root();
        assert_eq!(m.line_of(&root.key("a")), Some(1));
        assert_eq!(m.line_of(&root.key("t").key("x")), Some(3));
        assert_eq!(m.line_of(&root.key("t").key("missing")), Some(2));
        assert_eq!(m.line_of(&root.key("p").index(1).key("k")), Some(7));
        assert_eq!(
            m.line_of(&root.key("p").index(1).key("c").key("d").index(1)),
            Some(8)
        );
        assert_eq!(m.line_of(&root.key("nowhere")), None);
    }

    #[test]
    fn finds_the_field_at_an_offset() {
        let text = "a = 1\n[[p]]\nk = 1\n[[p]]\nc = { d = [1, 2] }\n";
        let m = map(text);
        let at = |needle: &str| m.field_at(text.rfind(needle).expect("needle")).to_string();
        assert_eq!(at("a ="), "a");
        assert_eq!(at("k ="), "p[0].k");
        assert_eq!(at("2]"), "p[1].c.d[1]");
    }
}
