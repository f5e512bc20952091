//! Uploaded images: association logos, petition and project photos. Each is decoded
//! whatever the upload format (with size limits: a tiny file can claim to be a
//! gigapixel image), turned upright per its EXIF orientation (phone photos), scaled
//! down, and re-encoded — which strips metadata such as the GPS position a phone
//! wrote into the photo. Files go under `<data>/media/` with content-derived names,
//! so caches never serve an old picture.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// Largest logo accepted.
pub(crate) const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest photo accepted (a phone's full-resolution JPEG).
pub(crate) const MAX_PHOTO_BYTES: usize = 12 * 1024 * 1024;
/// Widths petition photos are served at: phones, then large screens and share cards.
pub(crate) const PHOTO_WIDTHS: [u32; 2] = [600, 1200];
/// Logos are scaled down to fit this box (twice the largest display size, for sharp
/// rendering on high-density phone screens).
const BOX: u32 = 256;
/// Decoding limits: a tiny file can claim to be a 100,000-pixel-wide image.
const MAX_PIXELS_SIDE: u32 = 8000;

/// Why an upload is not a usable logo.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ImageError {
    /// Not an image we can read (or one that is absurdly large once decoded).
    Unreadable,
    /// Larger than [`MAX_BYTES`].
    TooLarge,
}

/// Decodes an upload of at most `max_bytes`, upright.
fn decode(bytes: &[u8], max_bytes: usize) -> Result<DynamicImage, ImageError> {
    if bytes.len() > max_bytes {
        return Err(ImageError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ImageError::Unreadable)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(ImageError::Unreadable);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_SIDE);
    limits.max_image_height = Some(MAX_PIXELS_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| ImageError::Unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Turns an upload into PNG bytes that fit the box.
pub(crate) fn normalise(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let image = decode(bytes, MAX_BYTES)?;
    let fitted = if image.width() > BOX || image.height() > BOX {
        image.resize(BOX, BOX, image::imageops::FilterType::Lanczos3)
    } else {
        image
    };
    let mut out = Vec::new();
    fitted
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|_| ImageError::Unreadable)?;
    Ok(out)
}

/// Turns a photo into JPEGs at each of [`PHOTO_WIDTHS`] (never enlarged).
pub(crate) fn photo_sizes(bytes: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, ImageError> {
    let image = decode(bytes, MAX_PHOTO_BYTES)?.to_rgb8();
    let image = DynamicImage::ImageRgb8(image);
    let mut out = Vec::new();
    for width in PHOTO_WIDTHS {
        let scaled = if image.width() > width {
            image.resize(width, u32::MAX, image::imageops::FilterType::Triangle)
        } else {
            image.clone()
        };
        let mut jpeg = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80);
        scaled.write_with_encoder(encoder).map_err(|_| ImageError::Unreadable)?;
        out.push((width, jpeg));
    }
    Ok(out)
}

/// Writes a photo's sizes under `media_dir`; returns the base name stored on the petition.
pub(crate) async fn save_photo(
    media_dir: &Path,
    petition_id: i64,
    sizes: &[(u32, Vec<u8>)],
) -> std::io::Result<String> {
    save_photo_as(media_dir, &format!("petition-{petition_id}"), sizes).await
}

/// Writes a project photo's sizes under `media_dir`; returns their base name.
pub(crate) async fn save_project_photo(
    media_dir: &Path,
    project_id: i64,
    sizes: &[(u32, Vec<u8>)],
) -> std::io::Result<String> {
    save_photo_as(media_dir, &format!("project-{project_id}"), sizes).await
}

/// Writes a photo's sizes as `{prefix}-{digest}-{width}.jpg`.
async fn save_photo_as(media_dir: &Path, prefix: &str, sizes: &[(u32, Vec<u8>)]) -> std::io::Result<String> {
    let digest = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for (_, bytes) in sizes {
            h.update(bytes);
        }
        hex::encode(h.finalize())
    };
    let base = format!("{prefix}-{}", &digest[..20]);
    tokio::fs::create_dir_all(media_dir).await?;
    for (width, bytes) in sizes {
        let name = format!("{base}-{width}.jpg");
        let tmp = media_dir.join(format!("{name}.tmp"));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, media_dir.join(&name)).await?;
    }
    Ok(base)
}

/// Deletes a photo's files (after a replacement or removal); failures are only logged.
pub(crate) async fn remove_photo(media_dir: &Path, base: &str) {
    for width in PHOTO_WIDTHS {
        let name = format!("{base}-{width}.jpg");
        if is_media_name(&name)
            && let Err(e) = tokio::fs::remove_file(media_dir.join(&name)).await
        {
            tracing::warn!(file = name, error = %e, "old photo not removed");
        }
    }
}

/// Writes a document (a checked PDF) under `media_dir`; returns its file name,
/// derived from the content like every media file.
pub(crate) async fn save_document(media_dir: &Path, petition_id: i64, pdf: &[u8]) -> std::io::Result<String> {
    let content = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(pdf))
    };
    let name = format!("doc-{petition_id}-{}.pdf", &content[..20]);
    tokio::fs::create_dir_all(media_dir).await?;
    let tmp = media_dir.join(format!("{name}.tmp"));
    tokio::fs::write(&tmp, pdf).await?;
    tokio::fs::rename(&tmp, media_dir.join(&name)).await?;
    Ok(name)
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
    ((name.starts_with("logo-") && name.ends_with(".png"))
        || ((name.starts_with("petition-") || name.starts_with("project-")) && name.ends_with(".jpg"))
        || (name.starts_with("doc-") && name.ends_with(".pdf")))
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
            Err(ImageError::Unreadable)
        );
        assert_eq!(normalise(b"hello"), Err(ImageError::Unreadable));
        assert_eq!(normalise(&vec![0u8; MAX_BYTES + 1]), Err(ImageError::TooLarge));
    }

    #[test]
    fn photos_come_in_every_width_without_enlarging() {
        let sizes = photo_sizes(&png(2000, 1000)).unwrap();
        let dims: Vec<_> = sizes
            .iter()
            .map(|(w, b)| (*w, image::load_from_memory(b).unwrap().width()))
            .collect();
        assert_eq!(dims, [(600, 600), (1200, 1200)]);
        let small = photo_sizes(&png(300, 200)).unwrap();
        assert!(
            small
                .iter()
                .all(|(_, b)| image::load_from_memory(b).unwrap().width() == 300)
        );
        assert_eq!(photo_sizes(&vec![0u8; MAX_PHOTO_BYTES + 1]), Err(ImageError::TooLarge));
    }

    #[test]
    fn only_our_own_file_names_are_served() {
        assert!(is_media_name("petition-3-0123456789abcdefabcd-600.jpg"));
        assert!(is_media_name("project-3-0123456789abcdefabcd-1200.jpg"));
        assert!(!is_media_name("project-3-0123456789abcdefabcd.png"));
        assert!(is_media_name("logo-1-0123456789abcdefabcd.png"));
        assert!(!is_media_name("../secret.key"));
        assert!(!is_media_name("logo-../../x.png"));
        assert!(!is_media_name("secret.key"));
    }
}
