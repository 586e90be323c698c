//! QR codes of tickets: in the terminal and as PNG files.
//!
//! The ticket is upper-cased first: base32 in upper case fits QR's
//! alphanumeric mode, which makes a noticeably smaller code. Ferry parses
//! tickets in any case.

use std::path::Path;

use qrcode::{EcLevel, QrCode, render::unicode};

fn code(ticket: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(ticket.to_ascii_uppercase().as_bytes(), EcLevel::L)
        .map_err(|e| format!("cannot make a QR code of the ticket: {e}"))
}

/// Renders the ticket as a QR code with half-block characters.
pub fn terminal(ticket: &str) -> Result<String, String> {
    Ok(code(ticket)?
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Writes the ticket as a QR code PNG image.
pub fn png(ticket: &str, path: &Path) -> Result<(), String> {
    let image = code(ticket)?
        .render::<image::Luma<u8>>()
        .min_dimensions(400, 400)
        .build();
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("cannot write the QR code to {}: {e}", path.display()))
}

/// Reads the text of the first QR code in an image file (PNG or JPEG).
pub fn read(path: &Path) -> Result<String, String> {
    ferry_core::qr::read_image(path)
}
