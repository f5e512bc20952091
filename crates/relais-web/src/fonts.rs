//! The fonts Relais ships (DejaVu Sans, see `fonts/README.md`), included once and
//! shared by the share images and the tax receipts.

/// DejaVu Sans.
pub(crate) static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
