//! Reading QR codes from a camera picture: the console's enrollment code, and the code on a
//! city component (its 城市服务码, [`crate::components`]).
//!
//! The settings screen's 扫码登记 (and a 部件 report's 扫码) hands the engine the camera's
//! JPEG. It is decoded to grey by libjpeg (the photo pipeline's decoder), shrunk while
//! decoding (DCT scaling) so its long edge is about [`SCAN_EDGE`] pixels: a QR code that
//! fills a good part of the frame keeps modules of several pixels, and finding it takes a
//! fraction of the time a 12 MP frame would. `rqrr` (a pure-Rust port of quirc) finds and
//! decodes the codes ([`read_texts`]); the first that is an enrollment payload
//! ([`gridwalk_protocol::enrollment::parse_payload`]) is the enrollment's answer.

use gridwalk_protocol::enrollment::parse_payload;
use gridwalk_protocol::message::msg;

use crate::error::{Error, Result};
use crate::photo::{self, PhotoOptions, jpeg};

/// The long edge the picture is decoded to for finding the code.
pub const SCAN_EDGE: u32 = 1600;

/// The centre's address and the one-time code in the picture `bytes` (a JPEG).
pub fn read_enrollment(bytes: &[u8]) -> Result<(String, String)> {
    let texts = read_texts(bytes)?;
    if let Some(payload) = texts.iter().find_map(|t| parse_payload(t)) {
        return Ok(payload);
    }
    Err(Error::Refused(if texts.is_empty() {
        msg!(ENROLL_NO_QR)
    } else {
        msg!(ENROLL_NOT_OURS)
    }))
}

/// The text of every QR code that could be read in the picture `bytes` (a JPEG), in the
/// order they were found; empty when none could. A picture that is not a readable JPEG is
/// refused in words.
pub fn read_texts(bytes: &[u8]) -> Result<Vec<String>> {
    let grey = decode_grey(bytes)?;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(grey.width, grey.height, |x, y| {
            grey.pixels[y * grey.width + x]
        });
    Ok(prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect())
}

struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

/// The JPEG as grey pixels, shrunk towards [`SCAN_EDGE`], within the photo pipeline's
/// pixel limit.
fn decode_grey(bytes: &[u8]) -> Result<Grey> {
    let unreadable = |detail: &dyn std::fmt::Display| {
        Error::Refused(msg!(ENROLL_IMAGE, detail = detail.to_string()))
    };
    let structure = jpeg::inspect(bytes).map_err(|p| match p {
        jpeg::Problem::NotJpeg => unreadable(&format!("not a JPEG but {}", jpeg::sniff(bytes))),
        p => unreadable(&format!("{p:?}")),
    })?;
    let (w, h) = (structure.width, structure.height);
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > PhotoOptions::default().max_pixels {
        return Err(unreadable(&format!("{w}×{h} pixels")));
    }
    let target = photo::fit_within(w, h, SCAN_EDGE);
    let scale = photo::dct_scale((w, h), target);
    // libjpeg reports a fatal error by unwinding (the `mozjpeg` crate's error manager).
    std::panic::catch_unwind(|| -> std::io::Result<Grey> {
        let mut d = mozjpeg::Decompress::new_mem(bytes)?;
        d.scale(scale);
        let mut started = d.grayscale()?;
        let (width, height) = (started.width(), started.height());
        let pixels = started.read_scanlines::<u8>()?;
        started.finish()?;
        Ok(Grey {
            width,
            height,
            pixels,
        })
    })
    .map_err(|_| unreadable(&"libjpeg could not decode it"))?
    .map_err(|e| unreadable(&e))
    .and_then(|g| {
        if g.pixels.len() == g.width * g.height {
            Ok(g)
        } else {
            Err(unreadable(&"the decoder gave a short frame"))
        }
    })
}
