//! check_host().
