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
        /// The line's text (at most 120 characters around the column).
        text: String,
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
    pub(crate) fn syntax(e: serde_json::Error, source: &str) -> Self {
        let message = strip_position(e.to_string());
        let text = source
            .lines()
            .nth(e.line().saturating_sub(1))
            .unwrap_or("")
            .chars()
            .skip(e.column().saturating_sub(60))
            .take(120)
            .collect();
        NetFileError::Syntax {
            line: e.line(),
            column: e.column(),
            message,
            text,
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

/// serde_json appends "at line 0 column 0" to errors from `from_value`, which has no positions;
/// an unknown field or variant gets the nearest known name as a suggestion.
fn strip_position(m: String) -> String {
    let m = match m.find(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m,
    };
    suggest(m)
}

/// A serde error as the user reads it: no position, a suggestion for a misspelt name.
pub(crate) fn clean(e: serde_json::Error) -> String {
    strip_position(e.to_string())
}

/// Rewrites serde's "unknown field `latnecy`, expected one of `a`, `b`, `latency`…" as
/// "unknown field `latnecy`, did you mean `latency`?" when one known name is close (at most
/// two edits, and fewer than half its letters); otherwise keeps the list.
fn suggest(m: String) -> String {
    let Some((start, what)) = ["field", "variant"]
        .into_iter()
        .find_map(|w| m.find(&format!("unknown {w} `")).map(|i| (i, w)))
    else {
        return m;
    };
    let rest = &m[start + what.len() + 10..];
    let Some((given, expected)) = rest.split_once('`') else {
        return m;
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    nearest(given, &known).map_or(m.clone(), |best| {
        format!(
            "{}unknown {what} `{given}`, did you mean `{best}`?",
            &m[..start]
        )
    })
}

/// The known name closest to `given`, if it is close enough to be a typo.
pub(crate) fn nearest<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(given, k), *k))
        .filter(|&(d, k)| d <= 2 && d * 2 < k.chars().count().max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

impl fmt::Display for NetFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFileError::Syntax {
                line,
                column,
                message,
                text,
            } => write!(
                f,
                "{line}:{column}: invalid JSON: {message}\n    {text}\n    {:>w$}",
                "^",
                w = (*column).clamp(1, 60)
            ),
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
            NetFileError::InFile { path, error } => match &**error {
                // `file:line:column: …`, as compilers write it.
                NetFileError::Syntax { .. } => write!(f, "{path}:{error}"),
                _ => write!(f, "{path}: {error}"),
            },
        }
    }
}

impl std::error::Error for NetFileError {}
