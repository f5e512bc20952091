//! Association logos: decoded whatever the upload format, scaled to fit a square
//! box, re-encoded as PNG (which also strips metadata such as GPS positions), and
//! stored under `<data>/media/` with a content-derived name so caches never serve
//! an old logo.

use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, ImageReader};

/// Largest upload accepted.
pub(crate) const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Logos are scaled down to fit this box (twice the largest display size, for sharp
/// rendering on high-density phone screens).
const BOX: u32 = 256;
/// Decoding limits: a tiny file can claim to be a 100,000-pixel-wide image.
const MAX_PIXELS_SIDE: u32 = 8000;

/// Why an upload is not a usable logo.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LogoError {
    /// Not an image we can read (or one that is absurdly large once decoded).
    Unreadable,
    /// Larger than [`MAX_BYTES`].
    TooLarge,
}

/// Turns an upload into PNG bytes that fit the box.
pub(crate) fn normalise(bytes: &[u8]) -> Result<Vec<u8>, LogoError> {
    if bytes.len() > MAX_BYTES {
        return Err(LogoError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| LogoError::Unreadable)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(LogoError::Unreadable);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_SIDE);
    limits.max_image_height = Some(MAX_PIXELS_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| LogoError::Unreadable)?;
    let fitted = if image.width() > BOX || image.height() > BOX {
        image.resize(BOX, BOX, image::imageops::FilterType::Lanczos3)
    } else {
        image
    };
    let mut out = Vec::new();
    fitted
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|_| LogoError::Unreadable)?;
    Ok(out)
}

/// Writes the PNG into `media_dir` and returns its file name.
pub(crate) async fn save(media_dir: &Path, org_id: i64, png: &[u8]) -> std::io::Result<String> {
    let content = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(png))
    };
    let name = format!("logo-{org_id}-{}.png", &content[..20]);
    tokio::fs::create_dir_all(media_dir).await?;
    let tmp = media_dir.join(format!("{name}.tmp"));
    tokio::fs::write(&tmp, png).await?;
    tokio::fs::rename(&tmp, media_dir.join(&name)).await?;
    Ok(name)
}

/// Whether `name` is a file name this module produced (guards `/media/{name}`
/// against path traversal).
pub(crate) fn is_media_name(name: &str) -> bool {
    name.starts_with("logo-")
        && name.ends_with(".png")
        && name.len() < 80
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([29, 78, 216]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn large_images_are_scaled_to_fit_the_box_keeping_proportions() {
        let out = normalise(&png(1000, 500)).unwrap();
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
    }

    #[test]
    fn small_images_are_kept_as_they_are() {
        let img = image::load_from_memory(&normalise(&png(64, 64)).unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (64, 64));
    }

    #[test]
    fn non_images_and_huge_files_are_refused() {
        assert_eq!(
            normalise(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(LogoError::Unreadable)
        );
        assert_eq!(normalise(b"hello"), Err(LogoError::Unreadable));
        assert_eq!(normalise(&vec![0u8; MAX_BYTES + 1]), Err(LogoError::TooLarge));
    }

    #[test]
    fn only_our_own_file_names_are_served() {
        assert!(is_media_name("logo-1-0123456789abcdefabcd.png"));
        assert!(!is_media_name("../secret.key"));
        assert!(!is_media_name("logo-../../x.png"));
        assert!(!is_media_name("secret.key"));
    }
}
