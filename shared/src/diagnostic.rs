//! The one diagnostic type of every parser (DNS records, SPF, header fields
//! and the pasted input): a byte span into the input, a stable code, a
//! severity and the RFC section the finding comes from.

use serde::{Deserialize, Serialize};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The record (or this part of it) is invalid: receivers ignore it or
    /// fall back to a default.
    Error,
    /// Valid, but fragile, deprecated or below best practice.
    Warning,
    /// A neutral fact (an ignored unknown tag, a tag a newer RFC removed).
    Info,
}

/// A half-open byte range `start..end` into the parsed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `usize` offsets (inputs are far below 4 GiB; larger
    /// offsets saturate).
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The text this span covers in `input`, or `""` when out of range or
    /// not on character boundaries.
    pub fn slice<'a>(&self, input: &'a str) -> &'a str {
        input
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// One finding about a parsed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Where in the input.
    pub span: Span,
    /// Stable machine code, e.g. `dmarc.invalid-policy`.
    pub code: &'static str,
    /// How serious.
    pub severity: Severity,
    /// The RFC (and section) this finding comes from, e.g. `RFC 7489 §6.3`.
    pub rfc: &'static str,
    /// Human explanation with the concrete values.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic of any severity.
    pub fn new(
        code: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
        rfc: &'static str,
    ) -> Self {
        Diagnostic {
            span,
            code,
            severity,
            rfc,
            message: message.into(),
        }
    }

    /// An error-level diagnostic.
    pub fn error(
        span: Span,
        code: &'static str,
        rfc: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            span,
            code,
            severity: Severity::Error,
            rfc,
            message: message.into(),
        }
    }

    /// A warning-level diagnostic.
    pub fn warning(
        span: Span,
        code: &'static str,
        rfc: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            span,
            code,
            severity: Severity::Warning,
            rfc,
            message: message.into(),
        }
    }

    /// An info-level diagnostic.
    pub fn info(
        span: Span,
        code: &'static str,
        rfc: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            span,
            code,
            severity: Severity::Info,
            rfc,
            message: message.into(),
        }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `message (RFC …)`, for check details.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.message, self.rfc)
    }
}

/// The message alone (what a check detail quotes).
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// The error-level diagnostics, described and joined with `"; "`.
pub fn describe_errors(diagnostics: &[Diagnostic]) -> String {
    join_descriptions(diagnostics.iter().filter(|d| d.severity == Severity::Error))
}

/// Diagnostics described and joined with `"; "`.
pub fn join_descriptions<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> String {
    diagnostics
        .into_iter()
        .map(Diagnostic::describe)
        .collect::<Vec<_>>()
        .join("; ")
}
