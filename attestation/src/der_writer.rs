//! A small DER writer, enough to build KeyDescriptions the way KeyMint
//! does: for test chains (this crate's tests, the collector's) and tools.
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
        assert_eq!(
            seq(&[enumerated(1), set(&[])]),
            [0x30, 0x05, 0x0a, 0x01, 0x01, 0x31, 0x00]
        );
    }
}
