//! `uniffi-bindgen`: generates Kotlin or Python bindings from the built
//! `ferry_ffi` library (`generate --library PATH --language kotlin|python`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
