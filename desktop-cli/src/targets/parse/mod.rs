//! Pure parsers for the outputs the adb and simctl targets read: no I/O,
//! unit-tested on real captured outputs, bounded, and they return an error
//! rather than panic. Only the desktop harness runs these commands, so they
//! live here and not in the library shipped to phones.

pub mod adb_devices;
pub mod getprop;
pub mod simctl;

/// Largest text a parser accepts unless it has a bound of its own.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
