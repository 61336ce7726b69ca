//! The photo pipeline: a camera JPEG in, an upload derivative and a thumbnail out.
//!
//! A 12 MP phone photo is 3-4 MB; on a "slow 3G" uplink that is minutes. The derivative —
//! upright, long edge at most 2048 px, JPEG quality ~80, no EXIF — is what travels and what
//! the record's SHA-256 names; it is typically 300-600 KB. The thumbnail (≤ 320 px) is for
//! lists on the device. Orientation is applied to the pixels, so every viewer shows the
//! derivative the right way up without reading metadata.
//!
//! Order of work: check the file's headers and declared size (refusing non-JPEGs and
//! decompression bombs before allocating anything), walk all of its image data (refusing a
//! file cut short however it ends: [`jpeg::verify`]), read EXIF, decode at a reduced DCT
//! scale, resize the rest of the way (Lanczos3, in the stored orientation, so the rotation
//! moves the smaller image), rotate, encode, hash.
//!
//! Shrink while decoding: a JPEG is 8×8 blocks of frequencies, and libjpeg-turbo (as MozJPEG
//! ships it, through the `mozjpeg` crate) can turn each block into n×n pixels for any n/8
//! with a smaller inverse DCT. The pipeline takes the smallest n/8 whose output still covers
//! the derivative ([`dct_scale`]; 5/8 for 4000×3000 → 2048×1536, giving 2500×1875), and
//! the resizer has 40 % of the pixels to read. Nor is the decoded frame ever held whole: it
//! comes a band of rows at a time, each narrowed to the derivative's width as it comes, so
//! the largest buffer is the narrowed frame (2048×1875, 11.5 MB, where a full-size decode
//! was 36 MB). A scaled IDCT keeps the frequencies the smaller image can show and drops the
//! rest, much as the Lanczos filter would: against a full-size decode's derivative ours
//! scores 44-45 dB PSNR (`BENCHMARKS.md`; `tests/photo.rs` holds it above 40).
//!
//! Memory is bounded by a budget, not only by a megapixel cap. A baseline frame in one scan
//! costs only its scaled output (libjpeg decodes it a row of blocks at a time), but a
//! progressive one (or a baseline one in several scans) needs every coefficient of the frame
//! at once, 2 bytes a sample: 3 bytes a pixel for 4:2:0 colour, 6 for 4:4:4, 8 for CMYK. So
//! the pixels a file may declare are bounded by what a file of its size can plausibly hold
//! ([`pixel_budget`]).
//! A photo up to a few times the derivative's size is always taken (it costs little whatever
//! its file); beyond that, the file must carry at least a byte for every
//! [`PhotoOptions::max_pixels_per_byte`] pixels — a real camera photo carries ten to a
//! hundred times that, a 677-byte file declaring 10950×10950 does not.

pub mod exif;
pub mod jpeg;

use chrono::FixedOffset;
use fast_image_resize as fir;
use gridwalk_protocol::message::{Message, msg};
use image::RgbImage;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use exif::{ExifFacts, ExifGps};

/// Limits and output settings for the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PhotoOptions {
    /// Long edge of the upload derivative, in pixels.
    pub max_edge: u32,
    /// JPEG quality of the derivative (1-100).
    pub quality: u8,
    /// Long edge of the thumbnail.
    pub thumb_edge: u32,
    pub thumb_quality: u8,
    /// Refuse images whose frame header declares more pixels than this.
    pub max_pixels: u64,
    /// Refuse files larger than this many bytes.
    pub max_file_bytes: u64,
    /// Beyond [`FREE_PIXELS_PER_TARGET`] times the derivative's pixels, refuse a file that
    /// declares more than this many pixels for each of its bytes ([`pixel_budget`]).
    pub max_pixels_per_byte: u64,
}

/// How many times the derivative's pixels (`max_edge`²) any file may declare, whatever its
/// size: 4 × 2048² is 16.8 MP, 50 MB of coefficients if it is progressive 4:2:0.
pub const FREE_PIXELS_PER_TARGET: u64 = 4;

/// The most pixels a file of `file_bytes` may declare under `opts`: the free allowance tied
/// to the target size, or what the file's size plausibly holds, never above `max_pixels`.
#[must_use]
pub fn pixel_budget(file_bytes: u64, opts: &PhotoOptions) -> u64 {
    let free = FREE_PIXELS_PER_TARGET.saturating_mul(u64::from(opts.max_edge).pow(2));
    free.max(file_bytes.saturating_mul(opts.max_pixels_per_byte))
        .min(opts.max_pixels)
}

/// UTC+8, where Gridwalk's inspectors work.
pub const CHINA_STANDARD_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

impl Default for PhotoOptions {
    fn default() -> Self {
        Self {
            max_edge: 2048,
            quality: 80,
            thumb_edge: 320,
            thumb_quality: 70,
            // A 108 MP sensor's full-resolution mode, with margin; a progressive frame needs
            // 3 bytes a pixel of coefficients (360 MB at the limit), so a larger limit risks
            // the app being killed.
            max_pixels: 120_000_000,
            max_file_bytes: 80 * 1024 * 1024,
            // Camera photos hold 2-20 pixels a byte; a flat test card about 50; a dark
            // night scene at low quality perhaps 40.
            max_pixels_per_byte: 64,
        }
    }
}

/// Why a file cannot be used as a photo. Each message tells the inspector what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the file is empty")]
    Empty,
    /// `detected` is a code of what the file is instead ([`jpeg::sniff`]: `png`, `heif`,
    /// `text` …), said in words by the message catalogue.
    #[error("{}", msg!(PHOTO_NOT_JPEG, detected = detected).english())]
    NotJpeg { detected: &'static str },
    #[error(
        "the file is cut short (the JPEG ends before its image data is complete); copy it again from the camera"
    )]
    Truncated,
    #[error(
        "the image declares {width}×{height} pixels, more than the {max_pixels} allowed; it is damaged or not a camera photo"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error(
        "the image declares {width}×{height} pixels, more than a file of {bytes} bytes can hold; it is damaged or made to exhaust memory"
    )]
    OverBudget { width: u32, height: u32, bytes: u64 },
    #[error("the JPEG uses {0}, which the app does not read; save it as an ordinary JPEG")]
    Unsupported(&'static str),
    #[error("the file is {bytes} bytes, more than the {max_bytes} allowed for one photo")]
    FileTooLarge { bytes: u64, max_bytes: u64 },
    #[error("the JPEG is damaged: {0}")]
    Corrupt(String),
}

impl PhotoError {
    /// The refusal as a code of the message catalogue (its English is this error's text).
    #[must_use]
    pub fn message(&self) -> Message {
        match self {
            PhotoError::Empty => msg!(PHOTO_EMPTY),
            PhotoError::NotJpeg { detected } => msg!(PHOTO_NOT_JPEG, detected = detected),
            PhotoError::Truncated => msg!(PHOTO_TRUNCATED),
            PhotoError::TooManyPixels {
                width,
                height,
                max_pixels,
            } => msg!(
                PHOTO_TOO_MANY_PIXELS,
                width = width,
                height = height,
                max_pixels = max_pixels
            ),
            PhotoError::OverBudget {
                width,
                height,
                bytes,
            } => msg!(
                PHOTO_OVER_BUDGET,
                width = width,
                height = height,
                bytes = bytes
            ),
            PhotoError::Unsupported(what) => msg!(PHOTO_UNSUPPORTED, what = what),
            PhotoError::FileTooLarge { bytes, max_bytes } => {
                msg!(PHOTO_FILE_TOO_LARGE, bytes = bytes, max_bytes = max_bytes)
            }
            PhotoError::Corrupt(detail) => msg!(PHOTO_CORRUPT, detail = detail),
        }
    }
}

/// The pipeline's output, ready to be stored.
#[derive(Debug, Clone)]
pub struct Processed {
    pub derivative: Vec<u8>,
    pub thumbnail: Vec<u8>,
    /// Lower-case hex SHA-256 of `derivative`.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// The original's stored (pre-orientation) size.
    pub source_width: u32,
    pub source_height: u32,
    pub exif: ExifFacts,
}

/// A summary for support staff (`gridwalk-field photo inspect`).
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub source_bytes: u64,
    pub source_width: u32,
    pub source_height: u32,
    pub exif: ExifFacts,
    pub derivative_width: u32,
    pub derivative_height: u32,
    pub derivative_bytes: u64,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub thumbnail_bytes: u64,
    pub sha256: String,
}

impl Processed {
    #[must_use]
    pub fn inspection(&self, source_bytes: u64) -> Inspection {
        Inspection {
            source_bytes,
            source_width: self.source_width,
            source_height: self.source_height,
            exif: self.exif.clone(),
            derivative_width: self.width,
            derivative_height: self.height,
            derivative_bytes: self.derivative.len() as u64,
            thumbnail_width: self.thumb_width,
            thumbnail_height: self.thumb_height,
            thumbnail_bytes: self.thumbnail.len() as u64,
            sha256: self.sha256.clone(),
        }
    }
}

/// Scales (w, h) down so the long edge is at most `max_edge`, keeping the aspect ratio;
/// never scales up, never returns a zero side.
#[must_use]
pub fn fit_within(w: u32, h: u32, max_edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= max_edge || long == 0 {
        return (w, h);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(max_edge).max(1)
    };
    (scale(w), scale(h))
}

/// Whether EXIF orientation `o` swaps width and height (the 90° and 270° cases).
#[must_use]
pub fn swaps_axes(o: u16) -> bool {
    matches!(o, 5..=8)
}

/// Runs the whole pipeline on a file's bytes.
/// Camera times written without a UTC offset are read in `local_offset`.
pub fn process(
    bytes: &[u8],
    opts: &PhotoOptions,
    local_offset: FixedOffset,
) -> Result<Processed, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: bytes.len() as u64,
            max_bytes: opts.max_file_bytes,
        });
    }
    let structure = jpeg::inspect(bytes).map_err(|p| problem(bytes, p))?;
    let (width, height) = (structure.width, structure.height);
    let pixels = u64::from(width) * u64::from(height);
    if pixels > opts.max_pixels || width == 0 || height == 0 {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max_pixels: opts.max_pixels,
        });
    }
    let budget = pixel_budget(bytes.len() as u64, opts);
    if pixels > budget {
        return Err(PhotoError::OverBudget {
            width,
            height,
            bytes: bytes.len() as u64,
        });
    }
    jpeg::verify(bytes, budget).map_err(|p| problem(bytes, p))?;

    let exif = exif::read(bytes, local_offset);
    let (sw, sh) = (width, height);
    let orientation = exif.orientation;
    // Target size in upright terms, then mapped back to the stored orientation for resizing.
    let (uw, uh) = if swaps_axes(orientation) {
        (sh, sw)
    } else {
        (sw, sh)
    };
    let (tw, th) = fit_within(uw, uh, opts.max_edge);
    let (rw, rh) = if swaps_axes(orientation) {
        (th, tw)
    } else {
        (tw, th)
    };
    let resized = decode_resized(bytes, dct_scale((sw, sh), (rw, rh)), (rw, rh), budget)?;
    let upright = orient(resized, orientation);
    let (thw, thh) = fit_within(upright.width(), upright.height(), opts.thumb_edge);

    // The thumbnail is made on the other core while the derivative is encoded.
    let (derivative, thumbnail) = std::thread::scope(|s| {
        let thumb = s.spawn(|| encode(&resize(&upright, thw, thh)?, opts.thumb_quality));
        let derivative = encode(&upright, opts.quality);
        let thumbnail = thumb.join().unwrap_or_else(|_| {
            Err(PhotoError::Corrupt(
                "the thumbnail could not be made".into(),
            ))
        });
        (derivative, thumbnail)
    });
    let (derivative, thumbnail) = (derivative?, thumbnail?);
    let sha256 = hex(&Sha256::digest(&derivative));

    Ok(Processed {
        derivative,
        thumbnail,
        sha256,
        width: upright.width(),
        height: upright.height(),
        thumb_width: thw,
        thumb_height: thh,
        source_width: sw,
        source_height: sh,
        exif,
    })
}

/// The numerator `n` of the smallest DCT scale n/8 at which a `source` frame decodes to at
/// least `target` pixels each way (libjpeg rounds a scaled side up), so the resizer only has
/// the last stretch to go. 8 (no scaling) when the target is the source size.
#[must_use]
pub fn dct_scale(source: (u32, u32), target: (u32, u32)) -> u8 {
    let covers = |side: u32, n: u8, want: u32| {
        (u64::from(side) * u64::from(n)).div_ceil(8) >= u64::from(want)
    };
    (1..8)
        .find(|&n| covers(source.0, n, target.0) && covers(source.1, n, target.1))
        .unwrap_or(8)
}

/// The inspector's words for what the structure walk found.
fn problem(bytes: &[u8], p: jpeg::Problem) -> PhotoError {
    use jpeg::Problem as P;
    match p {
        P::NotJpeg => PhotoError::NotJpeg {
            detected: jpeg::sniff(bytes),
        },
        P::CutInHeader | P::ShortScan { .. } | P::MissingScans | P::NoEnd => PhotoError::Truncated,
        P::BadSegment(at) => PhotoError::Corrupt(format!("the header is damaged at byte {at}")),
        P::NoFrame => PhotoError::Corrupt("no frame header before the image data".into()),
        P::BadData(at) => PhotoError::Corrupt(format!("the image data is damaged at byte {at}")),
        P::JunkAfterScan(at) => {
            PhotoError::Corrupt(format!("stray bytes after the image data, at byte {at}"))
        }
        P::Unsupported(what) => PhotoError::Unsupported(what),
        P::TooLarge => {
            PhotoError::Corrupt("the frame is larger than the pixels allowed for it".into())
        }
    }
}

/// Source rows decoded at a time: each band is narrowed to the target width as it comes.
const BAND_ROWS: usize = 512;

/// Decodes the frame at DCT scale `scale`/8 (libjpeg's scaled inverse DCT: each 8×8 block
/// becomes `scale`×`scale` pixels) and resizes it to `target`, without ever holding the
/// decoded frame: it comes out of libjpeg a band of rows at a time, each band is resized
/// across at once (a row's horizontal pass needs that row only), and the narrowed frame is
/// resized down. `max_pixels` bounds the decoder's output as it bounded the full-size decode
/// before: the header walk checked the frame against it already, so this guards against a
/// decoder that reads the header otherwise.
fn decode_resized(
    bytes: &[u8],
    scale: u8,
    target: (u32, u32),
    max_pixels: u64,
) -> Result<RgbImage, PhotoError> {
    use mozjpeg::ColorSpace as Cs;
    let corrupt = |e: std::io::Error| PhotoError::Corrupt(e.to_string());
    let (tw, th) = (target.0 as usize, target.1 as usize);
    // libjpeg reports a fatal error by unwinding (the `mozjpeg` crate's error manager), so
    // a damaged file the walk let through becomes an error here, not a crash.
    let narrowed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut d = mozjpeg::Decompress::new_mem(bytes).map_err(corrupt)?;
        d.scale(scale);
        let cmyk = matches!(d.color_space(), Cs::JCS_CMYK | Cs::JCS_YCCK);
        let mut started = if cmyk {
            d.to_colorspace(Cs::JCS_CMYK)
        } else {
            d.rgb()
        }
        .map_err(corrupt)?;
        let (w, h) = (started.width(), started.height());
        if (w as u64) * (h as u64) > max_pixels || w < tw || h < th {
            return Err(PhotoError::Corrupt(format!(
                "the decoder made {w}×{h} of a frame whose header says otherwise"
            )));
        }
        let channels = if cmyk { 4 } else { 3 };
        let mut narrowed = vec![0u8; tw * h * 3];
        // Two band buffers in turn: libjpeg fills one while the other core narrows the last.
        let (filled_tx, filled_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(1);
        let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        for _ in 0..2 {
            let _ = empty_tx.send(vec![0u8; w * BAND_ROWS * channels]);
        }
        let narrowing = std::thread::scope(|s| {
            let out = &mut narrowed;
            let narrowing = s.spawn(move || -> Result<(), PhotoError> {
                let mut resizer = fir::Resizer::new();
                let bands = out.chunks_mut(tw * 3 * BAND_ROWS).zip(filled_rx);
                for (out, (band, rows)) in bands {
                    let band_rgb;
                    let pixels = &band[..w * rows * channels];
                    let pixels = if cmyk {
                        band_rgb = cmyk_to_rgb(pixels);
                        &band_rgb
                    } else {
                        pixels
                    };
                    narrow(&mut resizer, pixels, w, out, tw)?;
                    let _ = empty_tx.send(band);
                }
                Ok(())
            });
            for first in (0..h).step_by(BAND_ROWS) {
                let rows = (h - first).min(BAND_ROWS);
                let Ok(mut band) = empty_rx.recv() else {
                    break; // the narrowing stopped: its error is the answer
                };
                started
                    .read_scanlines_into(&mut band[..w * rows * channels])
                    .map_err(corrupt)?;
                if filled_tx.send((band, rows)).is_err() {
                    break;
                }
            }
            drop(filled_tx);
            narrowing.join().unwrap_or_else(|_| {
                Err(PhotoError::Corrupt("the frame could not be resized".into()))
            })
        });
        narrowing?;
        started.finish().map_err(corrupt)?;
        let h = u32::try_from(h).map_err(|_| PhotoError::Corrupt("too tall".into()))?;
        RgbImage::from_raw(target.0, h, narrowed)
            .ok_or_else(|| PhotoError::Corrupt("the decoder gave a wrong-sized buffer".into()))
    }));
    let narrowed = narrowed.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|m| (*m).to_owned()))
            .unwrap_or_else(|| "the decoder stopped".into());
        Err(PhotoError::Corrupt(detail))
    })?;
    if narrowed.height() == target.1 {
        return Ok(narrowed);
    }
    resize(&narrowed, target.0, target.1)
}

/// Resizes a band of `src_width`-pixel RGB rows across to `width`, into `out`.
fn narrow(
    resizer: &mut fir::Resizer,
    band: &[u8],
    src_width: usize,
    out: &mut [u8],
    width: usize,
) -> Result<(), PhotoError> {
    if src_width == width {
        out.copy_from_slice(band);
        return Ok(());
    }
    let bad = |e: String| PhotoError::Corrupt(e);
    let rows = u32::try_from(band.len() / (src_width * 3)).map_err(|e| bad(e.to_string()))?;
    let side = |v: usize| u32::try_from(v).map_err(|e| bad(e.to_string()));
    let src = fir::images::ImageRef::new(side(src_width)?, rows, band, fir::PixelType::U8x3)
        .map_err(|e| bad(e.to_string()))?;
    let mut dst = fir::images::Image::from_slice_u8(side(width)?, rows, out, fir::PixelType::U8x3)
        .map_err(|e| bad(e.to_string()))?;
    resizer
        .resize(&src, &mut dst, &lanczos3())
        .map_err(|e| bad(e.to_string()))
}

fn lanczos3() -> fir::ResizeOptions {
    fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3))
}

/// CMYK as Adobe's encoders store it (inverted: 255 is no ink) to RGB, each channel times
/// the key, as the previous decoder (zune-jpeg) did; a YCCK frame comes here as CMYK.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let scale = |c: u8, k: u8| {
        let v = u32::from(c) * u32::from(k) + 128;
        ((v + (v >> 8)) >> 8) as u8
    };
    cmyk.chunks_exact(4)
        .flat_map(|p| [scale(p[0], p[3]), scale(p[1], p[3]), scale(p[2], p[3])])
        .collect()
}

fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    let (sw, sh) = src.dimensions();
    if (sw, sh) == (w, h) {
        return Ok(src.clone());
    }
    let src = fir::images::ImageRef::new(sw, sh, src.as_raw(), fir::PixelType::U8x3)
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    let mut dst = fir::images::Image::new(w, h, fir::PixelType::U8x3);
    fir::Resizer::new()
        .resize(&src, &mut dst, &lanczos3())
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    RgbImage::from_raw(w, h, dst.into_vec())
        .ok_or_else(|| PhotoError::Corrupt("resize produced a wrong-sized buffer".into()))
}

fn orient(img: RgbImage, orientation: u16) -> RgbImage {
    use image::imageops;
    match orientation {
        2 => imageops::flip_horizontal(&img),
        3 => imageops::rotate180(&img),
        4 => imageops::flip_vertical(&img),
        5 => imageops::flip_horizontal(&imageops::rotate90(&img)),
        6 => imageops::rotate90(&img),
        7 => imageops::flip_horizontal(&imageops::rotate270(&img)),
        8 => imageops::rotate270(&img),
        _ => img,
    }
}

fn encode(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = img.dimensions();
    let too_big = || PhotoError::Corrupt(format!("{w}×{h} is too large to encode"));
    let mut out = Vec::with_capacity(img.as_raw().len() / 8);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(
            img.as_raw(),
            u16::try_from(w).map_err(|_| too_big())?,
            u16::try_from(h).map_err(|_| too_big())?,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Lower-case hex of a digest.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        assert_eq!(fit_within(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit_within(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit_within(1024, 768, 2048), (1024, 768));
        assert_eq!(fit_within(10000, 10, 320), (320, 1));
    }

    #[test]
    fn every_photo_refusal_is_a_code_whose_english_is_its_text() {
        for e in [
            PhotoError::Empty,
            PhotoError::NotJpeg { detected: "png" },
            PhotoError::Truncated,
            PhotoError::TooManyPixels {
                width: 20_000,
                height: 20_000,
                max_pixels: 100_000_000,
            },
            PhotoError::OverBudget {
                width: 8000,
                height: 6000,
                bytes: 900,
            },
            PhotoError::Unsupported("arithmetic coding"),
            PhotoError::FileTooLarge {
                bytes: 60_000_000,
                max_bytes: 50_000_000,
            },
            PhotoError::Corrupt("bad Huffman table".into()),
        ] {
            let m = e.message();
            assert!(m.code.starts_with("photo."), "{}", m.code);
            assert_eq!(m.english(), e.to_string());
        }
    }

    #[test]
    fn dct_scale_is_the_smallest_that_still_covers_the_target() {
        // 4000×3000 → 2048×1536: 4/8 gives 2000×1500, short; 5/8 gives 2500×1875.
        assert_eq!(dct_scale((4000, 3000), (2048, 1536)), 5);
        assert_eq!(dct_scale((3456, 2592), (2048, 1536)), 5);
        assert_eq!(dct_scale((4000, 2250), (2048, 1152)), 5);
        assert_eq!(dct_scale((3000, 4000), (1536, 2048)), 5);
        assert_eq!(dct_scale((4096, 3072), (2048, 1536)), 4);
        assert_eq!(dct_scale((8000, 6000), (2048, 1536)), 3);
        assert_eq!(dct_scale((16384, 12288), (2048, 1536)), 1);
        // libjpeg rounds a scaled side up: 4001 at 4/8 is 2001.
        assert_eq!(dct_scale((4001, 3001), (2001, 1501)), 4);
        assert_eq!(dct_scale((1024, 768), (1024, 768)), 8);
        assert_eq!(dct_scale((10000, 10), (2048, 2)), 2);
    }

    #[test]
    fn orientation_axes() {
        assert!(!swaps_axes(1) && !swaps_axes(4));
        assert!(swaps_axes(5) && swaps_axes(8));
    }

    #[test]
    fn refusals_before_decoding() {
        let o = PhotoOptions::default();
        assert_eq!(
            process(b"", &o, CHINA_STANDARD_TIME).err(),
            Some(PhotoError::Empty)
        );
        assert_eq!(
            process(b"\x89PNG\r\n\x1a\nxxxx", &o, CHINA_STANDARD_TIME).err(),
            Some(PhotoError::NotJpeg { detected: "png" })
        );
        let small = PhotoOptions {
            max_file_bytes: 3,
            ..o
        };
        assert!(matches!(
            process(b"\xFF\xD8\xFF\xE0", &small, CHINA_STANDARD_TIME),
            Err(PhotoError::FileTooLarge { .. })
        ));
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xAB, 0x7f]), "00ab7f");
    }
}
