//! The device's photo path on any bytes: the header walk, the walk of the image data, EXIF,
//! and the whole pipeline (decode, resize, rotate, encode) at small limits. None may panic,
//! hang or allocate beyond the budget; a file the walk accepts must also decode.
#![no_main]

use gridwalk_field::photo::{self, PhotoOptions, jpeg};
use libfuzzer_sys::fuzz_target;

/// Small limits keep each run fast; the budget rules are the same at any size.
const OPTS: PhotoOptions = PhotoOptions {
    max_edge: 256,
    quality: 70,
    thumb_edge: 64,
    thumb_quality: 60,
    max_pixels: 4_000_000,
    max_file_bytes: 4 * 1024 * 1024,
    max_pixels_per_byte: 64,
};

fuzz_target!(|data: &[u8]| {
    let _ = jpeg::inspect(data);
    let walked = jpeg::verify(data, OPTS.max_pixels);
    let _ = photo::exif::read(data, photo::CHINA_STANDARD_TIME);
    let processed = photo::process(data, &OPTS, photo::CHINA_STANDARD_TIME);
    if let Ok(p) = &processed {
        let s = walked.expect("the pipeline only takes what the walk accepts");
        assert_eq!((p.source_width, p.source_height), (s.width, s.height));
        assert!(p.width <= OPTS.max_edge && p.height <= OPTS.max_edge);
    }
});
