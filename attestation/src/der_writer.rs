//! A small DER writer, enough to build KeyDescriptions the way KeyMint
//! does and the certificates of test chains: for this crate's tests, the
//! collector's, and tools.
//! Encodes what it is given; checking is the decoder's job.

/// A definite length in its shortest form.
fn len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

/// A tag, its definite length and `content`.
pub fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.extend(len(content.len()));
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER, minimally encoded.
pub fn int(n: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    if bytes.first().is_none_or(|&b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    tlv(&[0x02], &bytes)
}

/// An ENUMERATED below 128.
pub fn enumerated(n: u8) -> Vec<u8> {
    tlv(&[0x0a], &[n])
}

/// An OCTET STRING.
pub fn octets(b: &[u8]) -> Vec<u8> {
    tlv(&[0x04], b)
}

/// A SEQUENCE of already encoded items.
pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x30], &items.concat())
}

/// A SET OF already encoded items, in the order given.
pub fn set(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[0x31], &items.concat())
}

/// A BOOLEAN.
pub fn boolean(b: bool) -> Vec<u8> {
    tlv(&[0x01], &[if b { 0xff } else { 0x00 }])
}

/// An OBJECT IDENTIFIER from its contents octets.
pub fn oid(contents: &[u8]) -> Vec<u8> {
    tlv(&[0x06], contents)
}

/// A BIT STRING with no unused bits.
pub fn bits(b: &[u8]) -> Vec<u8> {
    let mut content = vec![0x00];
    content.extend_from_slice(b);
    tlv(&[0x03], &content)
}

/// A UTF8String.
pub fn utf8(s: &str) -> Vec<u8> {
    tlv(&[0x0c], s.as_bytes())
}

/// A certificate time as RFC 5280 wants it: UTCTime for 1950 to 2049,
/// GeneralizedTime otherwise (UTC, whole seconds).
pub fn time(t: ::time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(::time::UtcOffset::UTC);
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if (1950..2050).contains(&t.year()) {
        tlv(&[0x17], format!("{:02}{rest}", t.year() % 100).as_bytes())
    } else {
        tlv(&[0x18], format!("{:04}{rest}", t.year()).as_bytes())
    }
}

/// `[tag] EXPLICIT inner`, in the high-tag-number form above 30.
pub fn ctx(tag: u32, inner: &[u8]) -> Vec<u8> {
    let id = if tag < 31 {
        vec![0xa0 | tag as u8]
    } else {
        let mut groups = vec![(tag & 0x7f) as u8];
        let mut t = tag >> 7;
        while t > 0 {
            groups.push(0x80 | (t & 0x7f) as u8);
            t >>= 7;
        }
        groups.reverse();
        let mut id = vec![0xbf];
        id.extend(groups);
        id
    };
    tlv(&id, inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_the_shortest_der_forms() {
        assert_eq!(int(0), [0x02, 0x01, 0x00]);
        assert_eq!(int(127), [0x02, 0x01, 0x7f]);
        assert_eq!(int(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(octets(&[0u8; 200])[..3], [0x04, 0x81, 200]);
        // rootOfTrust is [704]: the high-tag-number form 0xbf 0x85 0x40.
        assert_eq!(
            ctx(704, &[0x05, 0x00]),
            [0xbf, 0x85, 0x40, 0x02, 0x05, 0x00]
        );
        assert_eq!(ctx(1, &[]), [0xa1, 0x00]);
        assert_eq!(bits(&[0xaa]), [0x03, 0x02, 0x00, 0xaa]);
        let t = time::macros::datetime!(2026-03-04 05:06:07 UTC);
        assert_eq!(time(t), [&[0x17, 13][..], b"260304050607Z"].concat());
        let t = time::macros::datetime!(2050-01-01 00:00:00 UTC);
        assert_eq!(time(t), [&[0x18, 15][..], b"20500101000000Z"].concat());
        assert_eq!(
            seq(&[enumerated(1), set(&[])]),
            [0x30, 0x05, 0x0a, 0x01, 0x01, 0x31, 0x00]
        );
    }
}
