//! A look at a JPEG's marker structure before any pixel is decoded.
//!
//! Decoders are lenient: many fill a truncated image with grey and report success, and they
//! allocate whatever the frame header asks for. Walking the markers first lets the pipeline
//! refuse a file that is not a JPEG, is cut short, or declares an absurd size, with an error
//! that says which — before a single pixel buffer is allocated.

/// What the marker walk learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Structure {
    pub width: u32,
    pub height: u32,
    /// The entropy-coded data is followed by an end-of-image marker.
    pub complete: bool,
}

/// Why the walk failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotJpeg,
    /// The file ends inside the header segments.
    CutInHeader,
    /// Something other than a valid segment at this byte offset.
    BadSegment(usize),
    /// No frame header (SOFn) before the scan.
    NoFrame,
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;

fn is_sof(marker: u8) -> bool {
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Walks the header segments up to the first scan, reads the frame size, and checks that an
/// end-of-image marker follows the scan data. Inside entropy-coded data a 0xFF byte is always
/// followed by 0x00 or a restart marker, so `FF D9` there can only be the real end.
pub fn inspect(bytes: &[u8]) -> Result<Structure, Problem> {
    if bytes.len() < 3 || bytes[0] != 0xFF || bytes[1] != SOI {
        return Err(Problem::NotJpeg);
    }
    let mut pos = 2;
    let mut frame = None;
    loop {
        // Skip fill bytes before a marker.
        while pos < bytes.len() && bytes[pos] == 0xFF && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&ff), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(Problem::CutInHeader);
        };
        if ff != 0xFF {
            return Err(Problem::BadSegment(pos));
        }
        pos += 2;
        if marker == EOI {
            return Err(Problem::NoFrame);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue; // standalone markers carry no length
        }
        if marker < 0xC0 || marker == 0xFF {
            // Not a marker any JPEG encoder writes: the bytes are not JPEG segments.
            return Err(Problem::BadSegment(pos - 2));
        }
        let Some(len_bytes) = bytes.get(pos..pos + 2) else {
            return Err(Problem::CutInHeader);
        };
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(Problem::BadSegment(pos - 2));
        }
        let Some(segment) = bytes.get(pos + 2..pos + len) else {
            return Err(Problem::CutInHeader);
        };
        if is_sof(marker) {
            if segment.len() < 5 {
                return Err(Problem::BadSegment(pos - 2));
            }
            let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
            let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            frame = Some((width, height));
        }
        pos += len;
        if marker == SOS {
            let (width, height) = frame.ok_or(Problem::NoFrame)?;
            let complete = bytes[pos..].windows(2).any(|w| w == [0xFF, EOI]);
            return Ok(Structure {
                width,
                height,
                complete,
            });
        }
    }
}

/// A name for what the bytes look like, for "this is a PNG, not a JPEG" messages.
#[must_use]
pub fn sniff(bytes: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"RIFF", "a RIFF file (WebP or WAV)"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"BM", "a BMP image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
    ];
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return "an HEIF/HEIC or MP4 file";
    }
    SIGNATURES
        .iter()
        .find(|(sig, _)| bytes.starts_with(sig))
        .map_or_else(
            || {
                if bytes.iter().take(512).all(|b| b.is_ascii()) {
                    "text"
                } else {
                    "unrecognised data"
                }
            },
            |(_, name)| name,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP0 segment, SOF0 (h=3000, w=4000), SOS, two data bytes, EOI.
    fn minimal(with_eoi: bool) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend([0xFF, 0xE0, 0x00, 0x04, b'J', b'F']);
        v.extend([
            0xFF, 0xC0, 0x00, 0x0B, 8, 0x0B, 0xB8, 0x0F, 0xA0, 1, 1, 0x11, 0,
        ]);
        v.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0]);
        v.extend([0x12, 0xFF, 0x00, 0x34]);
        if with_eoi {
            v.extend([0xFF, 0xD9]);
        }
        v
    }

    #[test]
    fn reads_frame_size_and_completeness() {
        assert_eq!(
            inspect(&minimal(true)),
            Ok(Structure {
                width: 4000,
                height: 3000,
                complete: true
            })
        );
        assert_eq!(inspect(&minimal(false)).map(|s| s.complete), Ok(false));
    }

    #[test]
    fn header_cut_short() {
        let v = minimal(true);
        assert_eq!(inspect(&v[..10]), Err(Problem::CutInHeader));
        assert_eq!(inspect(b"\xFF\xD8\xFF"), Err(Problem::CutInHeader));
    }

    #[test]
    fn not_a_jpeg() {
        assert_eq!(inspect(b"\x89PNG\r\n"), Err(Problem::NotJpeg));
        assert_eq!(inspect(b""), Err(Problem::NotJpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), "a PNG image");
        assert_eq!(sniff(b"hello world"), "text");
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), "an HEIF/HEIC or MP4 file");
    }

    #[test]
    fn random_bytes_after_soi_are_not_segments() {
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0xFF, 0x13, 0x00, 0x04, 1, 2]),
            Err(Problem::BadSegment(2))
        );
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0x42, 0x13]),
            Err(Problem::BadSegment(2))
        );
    }

    #[test]
    fn scan_without_frame() {
        let v = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert_eq!(inspect(&v), Err(Problem::NoFrame));
    }
}
