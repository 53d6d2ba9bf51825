//! `uniffi-bindgen`: uniffi's bindings generator, built from this workspace so
//! its version always matches the `uniffi` the ffi crate was built with.
//! Run by `scripts/bindings`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
