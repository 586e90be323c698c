//! `uniffi-bindgen-swift`: generates the Swift sources, C header and module
//! map from the built `ferry_ffi` library.

fn main() {
    uniffi::uniffi_bindgen_swift()
}
