//! Errors loading a network file: each names the file, the node or link, and what is wrong.

use std::fmt;
use std::path::Path;

/// What is wrong with a network file, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum NetFileError {
    /// Not valid JSON.
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Something about the file as a whole.
    File {
        /// What is wrong.
        message: String,
    },
    /// Node `index` (named `name` if it has one) is wrong.
    Node {
        /// Position in `nodes`.
        index: usize,
        /// Its name, if readable.
        name: Option<String>,
        /// What is wrong (names the field).
        message: String,
    },
    /// Link `index` (`a -- b` if readable) is wrong.
    Link {
        /// Position in `links`.
        index: usize,
        /// `a -- b`, if readable.
        ends: Option<String>,
        /// What is wrong (names the field).
        message: String,
    },
    /// The file could not be read or written.
    Io {
        /// The path.
        path: String,
        /// The system's message.
        message: String,
    },
    /// Any of the above, in file `path`.
    InFile {
        /// The path.
        path: String,
        /// The error.
        error: Box<NetFileError>,
    },
}

impl NetFileError {
    pub(crate) fn syntax(e: serde_json::Error) -> Self {
        NetFileError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
    pub(crate) fn top(message: impl Into<String>) -> Self {
        NetFileError::File {
            message: message.into(),
        }
    }
    pub(crate) fn node(index: usize, name: Option<&str>, message: String) -> Self {
        NetFileError::Node {
            index,
            name: name.map(str::to_owned),
            message: strip_position(message),
        }
    }
    pub(crate) fn link(index: usize, ends: Option<&str>, message: String) -> Self {
        NetFileError::Link {
            index,
            ends: ends.map(str::to_owned),
            message: strip_position(message),
        }
    }
    pub(crate) fn in_file(self, path: &Path) -> Self {
        NetFileError::InFile {
            path: path.display().to_string(),
            error: Box::new(self),
        }
    }
}

/// serde_json appends "at line 0 column 0" to errors from `from_value`, which has no positions.
fn strip_position(m: String) -> String {
    match m.find(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m,
    }
}

impl fmt::Display for NetFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFileError::Syntax {
                line,
                column,
                message,
            } => write!(f, "line {line}, column {column}: invalid JSON: {message}"),
            NetFileError::File { message } => write!(f, "{message}"),
            NetFileError::Node {
                index,
                name: Some(n),
                message,
            } => write!(f, "node {index} (`{n}`): {message}"),
            NetFileError::Node {
                index,
                name: None,
                message,
            } => write!(f, "node {index}: {message}"),
            NetFileError::Link {
                index,
                ends: Some(e),
                message,
            } => write!(f, "link {index} ({e}): {message}"),
            NetFileError::Link {
                index,
                ends: None,
                message,
            } => write!(f, "link {index}: {message}"),
            NetFileError::Io { path, message } => write!(f, "{path}: {message}"),
            NetFileError::InFile { path, error } => write!(f, "{path}: {error}"),
        }
    }
}

impl std::error::Error for NetFileError {}
