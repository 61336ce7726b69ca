//! The tus headers the centre parses from any device: `Upload-Metadata`, `Upload-Checksum`,
//! and `Upload-Offset` / `Upload-Length`. The input is split into the three header values
//! at its first two newlines.
#![no_main]

use gridwalk_protocol::tus::{Checksum, encode_metadata, parse_metadata, parse_size};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let (meta, checksum, size) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if let Ok(m) = parse_metadata(meta) {
        // What parses as text encodes back to what parses the same.
        let text: Vec<(&str, String)> = m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), String::from_utf8(v.clone()).ok()?)))
            .collect();
        if text.len() == m.len() && m.keys().all(|k| !k.contains([' ', ','])) {
            let again = encode_metadata(text.iter().map(|(k, v)| (*k, v.as_str())));
            assert_eq!(parse_metadata(&again).as_ref(), Ok(&m), "{again:?}");
        }
    }
    if let Ok(c) = Checksum::parse(checksum) {
        assert_eq!(Checksum::parse(&c.header()), Ok(c.clone()));
        let _ = c.matches(data);
    }
    if let Ok(n) = parse_size("Upload-Length", size) {
        assert_eq!(parse_size("Upload-Length", &n.to_string()), Ok(n));
    }
});
