//! The whole analysis: any bytes give a report or an InputError, never a
//! panic, and the report can be rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlens_shared::message::analyze_message;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = analyze_message(data, "2026-01-01T00:00:00Z") {
        let _ = render(&report);
    }
});

fn render(report: &mxlens_shared::report::Report) -> usize {
    format!("{report:?}").len()
}
