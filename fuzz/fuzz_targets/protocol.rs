//! What the centre does with a push body before it touches the store: decode the JSON,
//! check the envelope, and for each mutation the report's rules and times — a submitted
//! report as it is, an edit applied to a report and merged against a central version.
#![no_main]

use std::sync::LazyLock;

use chrono::{TimeZone, Utc};
use gridwalk_protocol::validate::{
    validate_patch_times, validate_push, validate_report, validate_times,
};
use gridwalk_protocol::{CodeTable, PushRequest, edit, mutation::MutationBody, testing};
use libfuzzer_sys::fuzz_target;

static CODES: LazyLock<CodeTable> = LazyLock::new(|| {
    CodeTable::from_json(include_str!("../../fixtures/codes.json")).expect("the fixture table")
});

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 3, 9, 30, 0)
        .single()
        .expect("a valid time");
    let _ = validate_push(&req);
    for m in &req.mutations {
        match &m.body {
            MutationBody::SubmitReport { report } => {
                let _ = validate_report(report, &CODES, now);
                let _ = validate_times(report, now);
            }
            MutationBody::EditReport { patch, .. } => {
                let base = testing::report_at(113.0631, 22.5983, now);
                let edited = patch.apply_to(&base);
                let _ = validate_report(&edited, &CODES, now);
                let _ = validate_patch_times(patch, now);
                let central = testing::report_at(113.07, 22.59, now);
                let _ = edit::merge(&base, &central, patch);
            }
            MutationBody::CompleteTask { .. } => {}
        }
        let _ = serde_json::to_vec(m).expect("what was decoded encodes");
    }
});
