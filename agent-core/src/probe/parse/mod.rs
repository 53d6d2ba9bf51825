//! Pure parsers for the text probes read: no I/O, unit-tested on real
//! captured outputs, bounded, and they return an error rather than panic.

pub mod desktop_lock;
pub mod efivar;
pub mod macos;
pub mod mountinfo;
pub mod os_release;
pub mod windows;

/// Largest text any parser accepts.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
