//! The two facts the JSON line tells about a certificate: its subject as text and the kind of its
//! key. rustls hands certificates over as DER only and no X.509 parser is packaged offline, so
//! this walks the few DER elements on the way to the subject and the SubjectPublicKeyInfo.

/// `{subject, keyType}` of a DER certificate; None when it does not parse this far.
#[derive(Clone)]
pub struct Described {
    pub subject: String,
    /// One of the PKI's kinds (ecdsa-p256 … mldsa87), or None for any other key.
    pub key_type: Option<String>,
}

pub fn describe(der: &[u8]) -> Option<Described> {
    let certificate = Der::new(der).one(0x30)?;
    let mut tbs = certificate.contents().one(0x30)?.contents();
    tbs.optional(0xa0); // [0] version
    tbs.one(0x02)?; // serialNumber
    tbs.one(0x30)?; // signature
    tbs.one(0x30)?; // issuer
    tbs.one(0x30)?; // validity
    let subject = name(tbs.one(0x30)?.contents())?;
    let spki = tbs.one(0x30)?.contents();
    Some(Described { subject, key_type: key_type(spki) })
}

/// A Name as "O=pqinterop, CN=mldsa65.localhost", in the order of the certificate (the form
/// the reference peer prints).
fn name(mut rdns: Der) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let mut set = rdns.one(0x31)?.contents();
        while !set.is_empty() {
            let mut attribute = set.one(0x30)?.contents();
            let oid = oid_text(attribute.one(0x06)?.bytes);
            let value = attribute.any()?;
            let label = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                other => other,
            };
            parts.push(format!("{label}={}", String::from_utf8_lossy(value.bytes)));
        }
    }
    Some(parts.join(", "))
}

/// The PKI kind of a SubjectPublicKeyInfo, from its algorithm (and curve, or RSA modulus size).
fn key_type(mut spki: Der) -> Option<String> {
    let mut algorithm = spki.one(0x30)?.contents();
    let oid = oid_text(algorithm.one(0x06)?.bytes);
    let kind = match oid.as_str() {
        "1.2.840.10045.2.1" => match oid_text(algorithm.one(0x06)?.bytes).as_str() {
            "1.2.840.10045.3.1.7" => "ecdsa-p256",
            "1.3.132.0.34" => "ecdsa-p384",
            _ => return None,
        },
        "1.3.101.112" => "ed25519",
        "2.16.840.1.101.3.4.3.17" => "mldsa44",
        "2.16.840.1.101.3.4.3.18" => "mldsa65",
        "2.16.840.1.101.3.4.3.19" => "mldsa87",
        "1.2.840.113549.1.1.1" => return rsa_kind(spki.one(0x03)?.bytes),
        _ => return None,
    };
    Some(kind.to_string())
}

/// "rsa2048" and the like, from the BIT STRING holding RSAPublicKey { modulus, exponent }.
fn rsa_kind(bits: &[u8]) -> Option<String> {
    let key = Der::new(bits.get(1..)?).one(0x30)?; // skip the unused-bits byte
    let modulus = key.contents().one(0x02)?.bytes;
    let significant = modulus.iter().position(|&b| b != 0).map_or(&[][..], |i| &modulus[i..]);
    let bits = significant.len() * 8 - significant.first()?.leading_zeros() as usize;
    Some(format!("rsa{bits}"))
}

/// Dotted text of an OBJECT IDENTIFIER's contents.
fn oid_text(bytes: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for &b in bytes {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.extend([first, value - 40 * first]);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// A cursor over consecutive DER elements (tags below 31, definite lengths: all X.509 needs).
#[derive(Clone, Copy)]
struct Der<'a> {
    rest: &'a [u8],
}

/// One element: its tag and its contents.
struct Element<'a> {
    tag: u8,
    bytes: &'a [u8],
}

impl<'a> Element<'a> {
    fn contents(&self) -> Der<'a> {
        Der::new(self.bytes)
    }
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, whatever its tag.
    fn any(&mut self) -> Option<Element<'a>> {
        let (&tag, after) = self.rest.split_first()?;
        let (&first, after) = after.split_first()?;
        let (length, after) = if first < 0x80 {
            (usize::from(first), after)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || after.len() < count {
                return None;
            }
            let length = after[..count].iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
            (length, &after[count..])
        };
        if after.len() < length {
            return None;
        }
        self.rest = &after[length..];
        Some(Element { tag, bytes: &after[..length] })
    }

    /// The next element, which must carry `tag`.
    fn one(&mut self, tag: u8) -> Option<Element<'a>> {
        self.any().filter(|e| e.tag == tag)
    }

    /// The next element if it carries `tag`; otherwise nothing is consumed.
    fn optional(&mut self, tag: u8) -> Option<Element<'a>> {
        if self.rest.first() == Some(&tag) {
            self.any()
        } else {
            None
        }
    }
}
