//! A strict DER reader over asn1-rs: definite, minimal lengths and tags,
//! minimal INTEGERs, BOOLEAN only 0x00 or 0xFF, nothing left over.
//!
//! asn1-rs reads the header (and refuses indefinite lengths); the checks it
//! leaves to the caller (a long-form length under 128, a high-tag-number form
//! for a small tag) are made here, so a BER encoding of the same value is
//! refused rather than silently accepted.

use asn1_rs::{Any, CheckDerConstraints, Class, FromDer, Integer, Tag};

use crate::error::ExtensionError;

/// One decoded TLV.
pub(crate) struct Tlv<'a> {
    any: Any<'a>,
}

impl<'a> Tlv<'a> {
    /// The contents octets.
    pub(crate) fn data(&self) -> &'a [u8] {
        self.any.data
    }

    fn is(&self, class: Class, constructed: bool, tag: u32) -> bool {
        self.any.header.class() == class
            && self.any.header.is_constructed() == constructed
            && self.any.header.tag() == Tag(tag)
    }

    /// The class and tag number, for error messages.
    fn describe(&self) -> String {
        let class = match self.any.header.class() {
            Class::Universal => "universal",
            Class::Application => "application",
            Class::ContextSpecific => "context",
            Class::Private => "private",
        };
        let form = if self.any.header.is_constructed() {
            "constructed"
        } else {
            "primitive"
        };
        format!("{class} {form} tag {}", self.any.header.tag().0)
    }

    /// The context-specific tag number, when this is an explicitly tagged
    /// (constructed, context-class) element.
    pub(crate) fn context_tag(&self) -> Option<u32> {
        (self.any.header.class() == Class::ContextSpecific && self.any.header.is_constructed())
            .then_some(self.any.header.tag().0)
    }
}

/// A cursor over a run of DER elements (the contents of a SEQUENCE or SET).
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    field: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads the elements of `bytes`, naming `field` in errors.
    pub(crate) fn new(bytes: &'a [u8], field: &'static str) -> Self {
        Reader { rest: bytes, field }
    }

    /// The next element, or an error naming what was expected.
    pub(crate) fn next(&mut self, what: &'static str) -> Result<Tlv<'a>, ExtensionError> {
        if self.rest.is_empty() {
            return Err(ExtensionError::Missing {
                field: self.field,
                what,
            });
        }
        let (tlv, rest) = read_one(self.rest, what)?;
        self.rest = rest;
        Ok(tlv)
    }

    /// The next element if there is one.
    pub(crate) fn next_opt(
        &mut self,
        what: &'static str,
    ) -> Result<Option<Tlv<'a>>, ExtensionError> {
        if self.rest.is_empty() {
            Ok(None)
        } else {
            self.next(what).map(Some)
        }
    }

    /// Fails when elements remain.
    pub(crate) fn finish(self) -> Result<(), ExtensionError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ExtensionError::Trailing {
                field: self.field,
                bytes: self.rest.len(),
            })
        }
    }
}

/// Number of length octets DER uses for a contents length.
fn length_octets(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        let bytes = (usize::BITS - len.leading_zeros()).div_ceil(8);
        1 + bytes as usize
    }
}

/// Reads exactly one element from the front of `input`.
fn read_one<'a>(
    input: &'a [u8],
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), ExtensionError> {
    let (rest, any) = Any::from_der(input).map_err(|e| ExtensionError::Der {
        field: what,
        problem: format!("{e}"),
    })?;
    Any::check_constraints(&any).map_err(|e| ExtensionError::Der {
        field: what,
        problem: format!("{e}"),
    })?;
    let raw_tag = any.header.raw_tag().unwrap_or(&[]);
    let tag_len = raw_tag.len().max(1);
    // A high-tag-number form for a tag below 31, or a leading 0x80 group, is BER.
    if tag_len > 1 && (any.header.tag().0 < 31 || raw_tag.get(1) == Some(&0x80)) {
        return Err(ExtensionError::Der {
            field: what,
            problem: "the tag number is not in its shortest form".into(),
        });
    }
    let consumed = input.len() - rest.len();
    if consumed != tag_len + length_octets(any.data.len()) + any.data.len() {
        return Err(ExtensionError::Der {
            field: what,
            problem: "the length is not in its shortest form".into(),
        });
    }
    Ok((Tlv { any }, rest))
}

/// Parses `bytes` as exactly one element.
pub(crate) fn single<'a>(bytes: &'a [u8], what: &'static str) -> Result<Tlv<'a>, ExtensionError> {
    let (tlv, rest) = read_one(bytes, what)?;
    if !rest.is_empty() {
        return Err(ExtensionError::Trailing {
            field: what,
            bytes: rest.len(),
        });
    }
    Ok(tlv)
}

fn expect(
    tlv: &Tlv<'_>,
    tag: u32,
    constructed: bool,
    field: &'static str,
    expected: &'static str,
) -> Result<(), ExtensionError> {
    if tlv.is(Class::Universal, constructed, tag) {
        Ok(())
    } else {
        Err(ExtensionError::WrongType {
            field,
            expected,
            found: tlv.describe(),
        })
    }
}

/// The elements of a SEQUENCE.
pub(crate) fn sequence<'a>(
    tlv: &Tlv<'a>,
    field: &'static str,
) -> Result<Reader<'a>, ExtensionError> {
    expect(tlv, 16, true, field, "SEQUENCE")?;
    Ok(Reader::new(tlv.data(), field))
}

/// The elements of a SET (SET OF).
pub(crate) fn set<'a>(tlv: &Tlv<'a>, field: &'static str) -> Result<Reader<'a>, ExtensionError> {
    expect(tlv, 17, true, field, "SET")?;
    Ok(Reader::new(tlv.data(), field))
}

/// An OCTET STRING's bytes.
pub(crate) fn octets<'a>(tlv: &Tlv<'a>, field: &'static str) -> Result<&'a [u8], ExtensionError> {
    expect(tlv, 4, false, field, "OCTET STRING")?;
    Ok(tlv.data())
}

/// A NULL.
pub(crate) fn null(tlv: &Tlv<'_>, field: &'static str) -> Result<(), ExtensionError> {
    expect(tlv, 5, false, field, "NULL")?;
    if tlv.data().is_empty() {
        Ok(())
    } else {
        Err(ExtensionError::Der {
            field,
            problem: "a NULL has contents".into(),
        })
    }
}

/// A BOOLEAN; DER allows only 0x00 and 0xFF.
pub(crate) fn boolean(tlv: &Tlv<'_>, field: &'static str) -> Result<bool, ExtensionError> {
    expect(tlv, 1, false, field, "BOOLEAN")?;
    match tlv.data() {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        [other] => Err(ExtensionError::NotDerBoolean {
            field,
            byte: *other,
        }),
        _ => Err(ExtensionError::Der {
            field,
            problem: format!("a BOOLEAN of {} bytes", tlv.data().len()),
        }),
    }
}

fn small_integer(tlv: &Tlv<'_>, field: &'static str) -> Result<i64, ExtensionError> {
    Integer::check_constraints(&tlv.any).map_err(|e| ExtensionError::Der {
        field,
        problem: format!("{e}"),
    })?;
    Integer::new(tlv.data())
        .as_i64()
        .map_err(|_| ExtensionError::OutOfRange { field })
}

/// An INTEGER that fits in 64 bits, minimally encoded.
pub(crate) fn integer(tlv: &Tlv<'_>, field: &'static str) -> Result<i64, ExtensionError> {
    expect(tlv, 2, false, field, "INTEGER")?;
    small_integer(tlv, field)
}

/// An ENUMERATED, minimally encoded like an INTEGER.
pub(crate) fn enumerated(tlv: &Tlv<'_>, field: &'static str) -> Result<i64, ExtensionError> {
    expect(tlv, 10, false, field, "ENUMERATED")?;
    small_integer(tlv, field)
}

/// The one element inside an explicit context tag.
pub(crate) fn explicit_inner<'a>(
    tlv: &Tlv<'a>,
    field: &'static str,
) -> Result<Tlv<'a>, ExtensionError> {
    single(tlv.data(), field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_minimal_integer() {
        let tlv = single(&[0x02, 0x02, 0x01, 0x2c], "n").unwrap();
        assert_eq!(integer(&tlv, "n").unwrap(), 300);
    }

    #[test]
    fn refuses_a_long_form_length_under_128() {
        let err = single(&[0x02, 0x81, 0x01, 0x05], "n").err().unwrap();
        assert!(err.to_string().contains("shortest form"), "{err}");
    }

    #[test]
    fn refuses_a_non_minimal_integer() {
        let tlv = single(&[0x02, 0x02, 0x00, 0x05], "n").unwrap();
        assert!(integer(&tlv, "n").is_err());
    }

    #[test]
    fn refuses_a_ber_boolean() {
        let tlv = single(&[0x01, 0x01, 0x01], "deviceLocked").unwrap();
        let err = boolean(&tlv, "deviceLocked").err().unwrap();
        assert!(matches!(err, ExtensionError::NotDerBoolean { byte: 1, .. }));
    }

    #[test]
    fn refuses_a_high_tag_form_for_a_small_tag() {
        // [5] EXPLICIT written with the multi-byte tag form.
        assert!(single(&[0xbf, 0x05, 0x02, 0x05, 0x00], "t").is_err());
    }

    #[test]
    fn reads_a_two_byte_context_tag() {
        // [704] EXPLICIT NULL: 704 = 5 * 128 + 64.
        let tlv = single(&[0xbf, 0x85, 0x40, 0x02, 0x05, 0x00], "t").unwrap();
        assert_eq!(tlv.context_tag(), Some(704));
        null(&explicit_inner(&tlv, "t").unwrap(), "t").unwrap();
    }

    #[test]
    fn refuses_trailing_bytes() {
        assert!(single(&[0x05, 0x00, 0x00], "t").is_err());
    }

    #[test]
    fn computes_der_length_octets() {
        assert_eq!(length_octets(0), 1);
        assert_eq!(length_octets(127), 1);
        assert_eq!(length_octets(128), 2);
        assert_eq!(length_octets(255), 2);
        assert_eq!(length_octets(256), 3);
    }
}
