//! Reading a QR code from an image file, for devices without a camera: a
//! screenshot or photo of a pairing code or a share.

use std::path::Path;

/// The text of the first QR code found in an image file (PNG or JPEG).
pub fn read_image(path: &Path) -> Result<String, String> {
    let luma = image::open(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(luma);
    let grids = prepared.detect_grids();
    let Some(grid) = grids.first() else {
        return Err(format!("no QR code found in {}", path.display()));
    };
    grid.decode()
        .map(|(_, text)| text)
        .map_err(|e| format!("the QR code in {} cannot be read: {e}", path.display()))
}
