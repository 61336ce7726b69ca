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

use serde_json::Value;

/// The canonical bytes of `v`.
#[must_use]
pub fn to_bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(v, &mut out);
    out
}

/// Whether two JSON values have the same canonical form.
#[must_use]
pub fn same(a: &Value, b: &Value) -> bool {
    to_bytes(a) == to_bytes(b)
}

fn write(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => out.extend_from_slice(Value::String(s.clone()).to_string().as_bytes()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> =
                map.iter().filter(|(_, v)| !v.is_null()).collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
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
