//! lint.
