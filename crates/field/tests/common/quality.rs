//! How close two images are: PSNR over the RGB samples and SSIM (Wang et al., 2004) over
//! luma, and the derivative the pipeline made before it decoded at a reduced DCT scale (a
//! full-size decode, then the same Lanczos3 resize and JPEG encoder), to hold a derivative
//! against. Used by the photo tests and the benchmark.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

use fast_image_resize as fir;
use image::RgbImage;

/// The derivative as the pipeline made it with a full-size decode (zune-jpeg, under
/// `image`): for an upright photo (EXIF orientation 1), resized to `size`, JPEG `quality`.
pub fn full_decode_derivative(jpeg: &[u8], size: (u32, u32), quality: u8) -> Vec<u8> {
    let full = image::load_from_memory(jpeg).unwrap().to_rgb8();
    let (w, h) = full.dimensions();
    let src = fir::images::Image::from_vec_u8(w, h, full.into_raw(), fir::PixelType::U8x3).unwrap();
    let mut dst = fir::images::Image::new(size.0, size.1, fir::PixelType::U8x3);
    fir::Resizer::new()
        .resize(
            &src,
            &mut dst,
            &fir::ResizeOptions::new()
                .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3)),
        )
        .unwrap();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(
            dst.buffer(),
            u16::try_from(size.0).unwrap(),
            u16::try_from(size.1).unwrap(),
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

/// Peak signal-to-noise ratio in dB over every R, G and B sample (infinite when equal).
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = sum / a.as_raw().len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// Mean SSIM of the luma (BT.601) of two images: an 11×11 Gaussian window (σ = 1.5),
/// K1 = 0.01, K2 = 0.03, L = 255, over every window wholly inside the image.
pub fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (x, y) = (luma(a), luma(b));
    let products = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(u, v)| u * v).collect::<Vec<_>>();
    let blur = |plane: &[f64]| gaussian(plane, w, h);
    let (mx, my) = (blur(&x), blur(&y));
    let (sxx, syy, sxy) = (
        blur(&products(&x, &x)),
        blur(&products(&y, &y)),
        blur(&products(&x, &y)),
    );
    let (c1, c2) = ((0.01 * 255.0f64).powi(2), (0.03 * 255.0f64).powi(2));
    let n = mx.len();
    let total: f64 = (0..n)
        .map(|i| {
            let (ux, uy) = (mx[i], my[i]);
            let (vx, vy, cov) = (sxx[i] - ux * ux, syy[i] - uy * uy, sxy[i] - ux * uy);
            ((2.0 * ux * uy + c1) * (2.0 * cov + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        })
        .sum();
    total / n as f64
}

fn luma(img: &RgbImage) -> Vec<f64> {
    img.pixels()
        .map(|p| 0.299 * f64::from(p.0[0]) + 0.587 * f64::from(p.0[1]) + 0.114 * f64::from(p.0[2]))
        .collect()
}

const RADIUS: usize = 5;

/// The weighted mean under the window at each position where it fits: (w-10)×(h-10) values.
fn gaussian(plane: &[f64], w: usize, h: usize) -> Vec<f64> {
    let weights: Vec<f64> = (0..=2 * RADIUS)
        .map(|i| (-((i as f64 - RADIUS as f64).powi(2)) / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let norm: f64 = weights.iter().sum();
    let weights: Vec<f64> = weights.iter().map(|k| k / norm).collect();
    let (ow, oh) = (w - 2 * RADIUS, h - 2 * RADIUS);
    let mut across = vec![0.0; ow * h];
    for row in 0..h {
        let line = &plane[row * w..(row + 1) * w];
        for col in 0..ow {
            across[row * ow + col] = weights.iter().zip(&line[col..]).map(|(k, v)| k * v).sum();
        }
    }
    let mut out = vec![0.0; ow * oh];
    for row in 0..oh {
        for (k, weight) in weights.iter().enumerate() {
            let src = &across[(row + k) * ow..(row + k + 1) * ow];
            for (o, v) in out[row * ow..(row + 1) * ow].iter_mut().zip(src) {
                *o += weight * v;
            }
        }
    }
    out
}
