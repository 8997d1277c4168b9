//! path_text: a path as TOML text, losslessly. A path that is valid UTF-8 (and does not start
//! with `%`) is written as it is, which is how every manifest written before this module spelled
//! it; any other path is written as `%` followed by the path with each byte that is not
//! printable ASCII, and `%` itself, as `%XX`. Reading gives back the same bytes.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// The text of `path`.
pub fn encode(path: &Path) -> String {
    match path.to_str() {
        Some(s) if !s.starts_with('%') => s.to_owned(),
        _ => {
            let mut out = String::from("%");
            for &b in path.as_os_str().as_bytes() {
                if b == b'%' || !(0x20..0x7f).contains(&b) {
                    out.push_str(&format!("%{b:02X}"));
                } else {
                    out.push(char::from(b));
                }
            }
            out
        }
    }
}

/// The path `text` names, or `None` for a malformed escape.
pub fn decode(text: &str) -> Option<PathBuf> {
    let Some(escaped) = text.strip_prefix('%') else { return Some(PathBuf::from(text)) };
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(OsString::from_vec(out)))
}

pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(path))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    let text = String::deserialize(d)?;
    decode(&text).ok_or_else(|| D::Error::custom(format!("`{text}` is not a valid path")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_paths_are_written_as_they_are() {
        assert_eq!(encode(Path::new("/h/.bashrc")), "/h/.bashrc");
        assert_eq!(decode("/h/.bashrc").unwrap(), Path::new("/h/.bashrc"));
    }

    #[test]
    fn any_path_reads_back_to_its_bytes() {
        for bytes in [&b"/h/caf\xe9/env"[..], b"%/x", b"/a%b\n\x7f", b"/\xff\xfe%41"] {
            let path = PathBuf::from(OsString::from_vec(bytes.to_vec()));
            let text = encode(&path);
            assert!(text.is_ascii() || path.to_str().is_some(), "{text}");
            assert_eq!(decode(&text).unwrap(), path, "{text}");
        }
        assert_eq!(decode("%/x%4"), None);
        assert_eq!(decode("%/x%zz"), None);
    }
}
