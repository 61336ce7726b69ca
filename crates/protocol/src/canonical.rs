//! Canonical JSON: one byte form of a JSON value, the same whatever order its members came
//! in and however it was spaced. Two forms of it are used:
//!
//! - a device signs a mutation in it with every member kept, `null`s included
//!   ([`Nulls::Keep`], [`crate::signing`]);
//! - the centre's hash chains hash entries in it with `null` members left out
//!   ([`Nulls::Drop`], the `gridwalk-evidence` crate), so a field added to an entry later
//!   does not change the hashes of entries written before it.
//!
//! Either way: objects have their members sorted by key (by UTF-8 bytes); arrays keep their
//! order (a `null` inside an array stays); strings are escaped and numbers written as
//! `serde_json` writes them (a float in its shortest form that reads back the same); no
//! whitespace anywhere.

use serde_json::Value;

/// What happens to an object member whose value is `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    Keep,
    Drop,
}

/// The canonical bytes of `v`.
#[must_use]
pub fn to_bytes(v: &Value, nulls: Nulls) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(v, nulls, &mut out);
    out
}

/// Appends the canonical bytes of `v` to `out`.
pub fn write(v: &Value, nulls: Nulls, out: &mut Vec<u8>) {
    match v {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, nulls, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(_, v)| nulls == Nulls::Keep || !v.is_null())
                .collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                write(v, nulls, out);
            }
            out.push(b'}');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_nulls_kept_or_dropped() {
        let v = json!({"b": [1.5, null, "x\n"], "a": null, "é": true, "Z": {"y": 1, "x": null}});
        assert_eq!(
            String::from_utf8(to_bytes(&v, Nulls::Keep)).expect("utf-8"),
            r#"{"Z":{"x":null,"y":1},"a":null,"b":[1.5,null,"x\n"],"é":true}"#
        );
        assert_eq!(
            String::from_utf8(to_bytes(&v, Nulls::Drop)).expect("utf-8"),
            r#"{"Z":{"y":1},"b":[1.5,null,"x\n"],"é":true}"#
        );
    }
}
