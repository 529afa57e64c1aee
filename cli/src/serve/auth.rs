//! HTTP basic authentication for `pm2 serve --basic-auth-username/--basic-auth-password`:
//! the expected `Authorization` value is computed once and compared in constant time.

/// `Basic <base64(user:password)>`, the header a client sends with these credentials.
pub fn expected_header(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("{username}:{password}").as_bytes())
    )
}

/// True when `given` (the request's `Authorization` header) carries the expected
/// credentials; the scheme name is case-insensitive.
pub fn matches(given: Option<&str>, expected: &str) -> bool {
    let Some(given) = given else {
        return false;
    };
    let (Some((scheme, token)), Some((_, want))) =
        (given.trim().split_once(' '), expected.split_once(' '))
    else {
        return false;
    };
    let token = token.trim().as_bytes();
    let want = want.as_bytes();
    scheme.eq_ignore_ascii_case("basic")
        && token.len() == want.len()
        && token
            .iter()
            .zip(want)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Standard base64 with padding (RFC 4648).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn only_the_right_credentials_pass() {
        let expected = expected_header("Aladdin", "open sesame");
        assert!(matches(
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            &expected
        ));
        assert!(matches(
            Some("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            &expected
        ));
        assert!(!matches(
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZR=="),
            &expected
        ));
        assert!(!matches(
            Some("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            &expected
        ));
        assert!(!matches(Some("Basic"), &expected));
        assert!(!matches(None, &expected));
    }
}
