//! Canonical JSON: the one byte form of a JSON value that is hashed, whatever the database
//! did to it on the way (PostgreSQL's `JSONB` reorders keys and drops whitespace; SQLite
//! keeps the text as written).
//!
//! - Objects: members sorted by key (by UTF-8 bytes); a member whose value is `null` is
//!   left out, so a field added to an entry later (absent, or `null`, in older entries)
//!   does not change the hashes of entries written before it.
//! - Arrays keep their order; `null` inside an array stays.
//! - Strings are escaped as `serde_json` escapes them; numbers are written as
//!   `serde_json` writes a number it parsed (a float in its shortest round-trip form).
//! - No whitespace anywhere.
//!
//! The writer is `gridwalk_protocol::canonical`, the one the devices sign with, here with
//! `null` members dropped.

use serde_json::Value;

/// The canonical bytes of `v`.
#[must_use]
pub fn to_bytes(v: &Value) -> Vec<u8> {
    gridwalk_protocol::canonical::to_bytes(v, gridwalk_protocol::canonical::Nulls::Drop)
}

/// Whether two JSON values have the same canonical form.
#[must_use]
pub fn same(a: &Value, b: &Value) -> bool {
    to_bytes(a) == to_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> String {
        String::from_utf8(to_bytes(v)).expect("UTF-8")
    }

    #[test]
    fn keys_sorted_nulls_dropped_no_whitespace() {
        let v = json!({"b": 1, "a": {"z": null, "y": [null, 2.5, "x\"y"]}, "c": null});
        assert_eq!(text(&v), r#"{"a":{"y":[null,2.5,"x\"y"]},"b":1}"#);
    }

    #[test]
    fn the_same_value_from_reordered_or_spaced_text_is_the_same() {
        let a: Value = serde_json::from_str(r#"{"lon": 113.0812345, "lat": 22.5, "n": "网格"}"#)
            .expect("json");
        let b: Value =
            serde_json::from_str(r#"{"n":"网格","lat":22.50,"lon":113.0812345}"#).expect("json");
        assert!(same(&a, &b));
        let c: Value =
            serde_json::from_str(r#"{"n":"网格","lat":22.51,"lon":113.0812345}"#).expect("json");
        assert!(!same(&a, &c));
    }

    #[test]
    fn a_field_absent_and_a_field_null_are_the_same() {
        assert!(same(&json!({"a": 1}), &json!({"a": 1, "signature": null})));
        assert!(!same(&json!({"a": 1}), &json!({"a": 1, "signature": "x"})));
    }
}
