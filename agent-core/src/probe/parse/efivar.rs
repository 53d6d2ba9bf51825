//! EFI variables as Linux exposes them in `/sys/firmware/efi/efivars`.

/// Name of the `SecureBoot` variable file (EFI global variable GUID).
pub const SECURE_BOOT_VAR: &str = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// Why an EFI variable could not be read as a boolean.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EfiVarError {
    /// The file is not 4 attribute bytes plus 1 data byte.
    #[error("{}", crate::probe::why("reason-parse-efivar-bad-length", &[("bytes", &.0.to_string())]))]
    BadLength(usize),
    /// The value byte is neither 0 nor 1.
    #[error("{}", crate::probe::why("reason-parse-efivar-bad-value", &[("value", &.0.to_string())]))]
    BadValue(u8),
}

/// Reads a one-byte boolean EFI variable (`SecureBoot`, `SetupMode`): the
/// kernel prefixes the value with its 4-byte attributes.
pub fn parse_efivar_bool(bytes: &[u8]) -> Result<bool, EfiVarError> {
    match bytes {
        [_, _, _, _, 0] => Ok(false),
        [_, _, _, _, 1] => Ok(true),
        [_, _, _, _, v] => Err(EfiVarError::BadValue(*v)),
        other => Err(EfiVarError::BadLength(other.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_boot_values() {
        // Attributes 0x06 = BOOTSERVICE_ACCESS | RUNTIME_ACCESS, as real firmware reports.
        assert_eq!(parse_efivar_bool(&[6, 0, 0, 0, 1]), Ok(true));
        assert_eq!(parse_efivar_bool(&[6, 0, 0, 0, 0]), Ok(false));
        assert_eq!(
            parse_efivar_bool(&[6, 0, 0, 0, 7]),
            Err(EfiVarError::BadValue(7))
        );
        assert_eq!(parse_efivar_bool(&[]), Err(EfiVarError::BadLength(0)));
        assert_eq!(
            parse_efivar_bool(&[6, 0, 0]),
            Err(EfiVarError::BadLength(3))
        );
        assert_eq!(
            parse_efivar_bool(&[6, 0, 0, 0, 1, 0]),
            Err(EfiVarError::BadLength(6))
        );
    }
}
