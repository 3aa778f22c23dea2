//! The one field of an X.509 certificate the probe reports: its notAfter.
//!
//! A full X.509 parser (x509-parser and its ASN.1 stack) cost the exporter
//! binary about 0.5 MB of code for this one timestamp; the walk below reads
//! only the DER structure down to `tbsCertificate.validity.notAfter`
//! (RFC 5280 §4.1) and rejects anything that is not well-formed on the way.

/// Unix time a DER certificate expires.
pub fn not_after(der: &[u8]) -> Result<i64, String> {
    let (cert, _) = tlv(der, SEQUENCE, "Certificate")?;
    let (mut tbs, _) = tlv(cert, SEQUENCE, "tbsCertificate")?;
    // version [0] EXPLICIT is optional (absent means v1).
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs, 0xa0, "version")?.1;
    }
    let (_, rest) = tlv(tbs, INTEGER, "serialNumber")?;
    let (_, rest) = tlv(rest, SEQUENCE, "signature")?;
    let (_, rest) = tlv(rest, SEQUENCE, "issuer")?;
    let (validity, _) = tlv(rest, SEQUENCE, "validity")?;
    let (_, rest) = time(validity, "notBefore")?;
    Ok(time(rest, "notAfter")?.0)
}

const INTEGER: u8 = 0x02;
const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One tag-length-value with the expected single-byte `tag` at the start of
/// `b`: (its contents, what follows it).
fn tlv<'a>(b: &'a [u8], tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    match b.first() {
        Some(&t) if t == tag => {}
        Some(t) => return Err(format!("{what}: expected tag {tag:#04x}, found {t:#04x}")),
        None => return Err(format!("{what}: truncated")),
    }
    let (len, head) = match b.get(1) {
        Some(&l) if l < 0x80 => (l as usize, 2),
        // Long form: 1 to 4 length bytes (certificates are far below 4 GiB).
        Some(&l) if (0x81..=0x84).contains(&l) => {
            let n = (l & 0x7f) as usize;
            let bytes = b.get(2..2 + n).ok_or_else(|| format!("{what}: truncated length"))?;
            (bytes.iter().fold(0usize, |acc, &x| acc << 8 | x as usize), 2 + n)
        }
        Some(l) => return Err(format!("{what}: unsupported length byte {l:#04x}")),
        None => return Err(format!("{what}: truncated")),
    };
    let end = head
        .checked_add(len)
        .filter(|&e| e <= b.len())
        .ok_or_else(|| format!("{what}: length {len} past the end"))?;
    Ok((&b[head..end], &b[end..]))
}

/// A `Time` (UTCTime or GeneralizedTime, RFC 5280 §4.1.2.5: UTC, seconds,
/// no fraction): (Unix seconds, what follows it).
fn time<'a>(b: &'a [u8], what: &str) -> Result<(i64, &'a [u8]), String> {
    let (s, rest, year) = match b.first() {
        Some(&UTC_TIME) => {
            let (s, rest) = tlv(b, UTC_TIME, what)?;
            let s = ascii(s, 13, what)?;
            // RFC 5280: YY >= 50 is 19YY, else 20YY.
            let yy = digits(&s[..2], what)?;
            (&s[2..], rest, if yy >= 50 { 1900 + yy } else { 2000 + yy })
        }
        Some(&GENERALIZED_TIME) => {
            let (s, rest) = tlv(b, GENERALIZED_TIME, what)?;
            let s = ascii(s, 15, what)?;
            (&s[4..], rest, digits(&s[..4], what)?)
        }
        _ => return Err(format!("{what}: not a UTCTime or GeneralizedTime")),
    };
    // s: MMDDHHMMSSZ
    let [month, day, hour, min, sec] = [0, 2, 4, 6, 8].map(|i| digits(&s[i..i + 2], what));
    let (month, day, hour, min, sec) = (month?, day?, hour?, min?, sec?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return Err(format!("{what}: invalid date/time"));
    }
    let t = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    Ok((t, rest))
}

/// `s` if it is `len` ASCII bytes ending in `Z`.
fn ascii<'a>(s: &'a [u8], len: usize, what: &str) -> Result<&'a [u8], String> {
    if s.len() != len || s[len - 1] != b'Z' {
        return Err(format!("{what}: expected {len} characters ending in Z"));
    }
    Ok(s)
}

fn digits(s: &[u8], what: &str) -> Result<i64, String> {
    s.iter().try_fold(0i64, |acc, &c| {
        if c.is_ascii_digit() {
            Ok(acc * 10 + (c - b'0') as i64)
        } else {
            Err(format!("{what}: {c:#04x} is not a digit"))
        }
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate expiring `secs` seconds after midnight
    /// (UTC) of the date `ymd`.
    fn cert(ymd: (i32, u8, u8), secs: u64) -> Vec<u8> {
        let mut p = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        p.not_after = rcgen::date_time_ymd(ymd.0, ymd.1, ymd.2) + std::time::Duration::from_secs(secs);
        let key = rcgen::KeyPair::generate().unwrap();
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn reads_utc_and_generalized_time() {
        // 2049 is written as UTCTime, 2050 and later as GeneralizedTime (RFC 5280).
        assert_eq!(not_after(&cert((2049, 12, 31), 86399)).unwrap(), 2524607999);
        assert_eq!(not_after(&cert((2050, 1, 1), 0)).unwrap(), 2524608000);
        assert_eq!(not_after(&cert((2024, 2, 29), 45005)).unwrap(), 1709209805);
        assert_eq!(not_after(&cert((1970, 1, 1), 0)).unwrap(), 0);
    }

    #[test]
    fn truncated_or_garbled_input_is_an_error_not_a_panic() {
        let der = cert((2030, 6, 1), 0);
        for n in 0..der.len() {
            assert!(not_after(&der[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        for i in 0..der.len().min(400) {
            let mut d = der.clone();
            d[i] ^= 0xff;
            let _ = not_after(&d);
        }
        assert!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(not_after(b"not a certificate").is_err());
    }
}
