//! From a request path to a file under the served folder, safely: dot segments are resolved
//! as a URL parser does (so `/../x` is `/x`), an encoded `/` or NUL in a segment is refused,
//! and a path that leads outside the folder through a symbolic link is refused too.

use std::path::{Path, PathBuf};

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A file to send (for `/` or a folder: its `index.html`).
    File(PathBuf),
    /// A folder without `index.html`, listed when `--ftp` asks for listings.
    Folder(PathBuf),
    /// Nothing there.
    Missing,
    /// A path that tries to leave the folder (PM2 answers 403).
    Forbidden,
    /// Not a valid percent-encoded path.
    BadRequest,
}

/// The segments of `raw` (still percent-encoded, without the query) after resolving `.` and
/// `..` (also written `%2e`), as WHATWG URL parsing does: `..` never climbs above the root.
fn segments(raw: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for segment in raw.split('/') {
        let lower = segment.to_ascii_lowercase();
        match lower.as_str() {
            "" | "." | "%2e" => {}
            ".." | ".%2e" | "%2e." | "%2e%2e" => {
                out.pop();
            }
            _ => out.push(segment),
        }
    }
    out
}

/// Decodes `%XX` escapes (`decodeURIComponent`); `None` for a malformed escape.
pub fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The file `raw` names under `root` (which must be canonical), with `homepage` (PM2's
/// `/index.html`) for the root and folders.
pub fn lookup(root: &Path, raw: &str, homepage: &str) -> Lookup {
    lookup_in(root, raw, homepage, false)
}

/// [`lookup`], where `listing` (PM2's `--ftp`) makes a folder without `index.html` a
/// [`Lookup::Folder`] and serves a folder's own `index.html` rather than the homepage.
pub fn lookup_in(root: &Path, raw: &str, homepage: &str, listing: bool) -> Lookup {
    use std::os::unix::ffi::OsStrExt;
    let mut path = root.to_path_buf();
    for segment in segments(raw) {
        let Some(decoded) = percent_decode(segment) else {
            return Lookup::BadRequest;
        };
        if decoded.contains(&b'/') || decoded.contains(&0) || decoded == b".." {
            return Lookup::Forbidden;
        }
        path.push(std::ffi::OsStr::from_bytes(&decoded));
    }
    if path.is_dir() {
        if listing {
            if !path.join("index.html").is_file() {
                return match path.canonicalize() {
                    Ok(real) if real.starts_with(root) => Lookup::Folder(real),
                    Ok(_) => Lookup::Forbidden,
                    Err(_) => Lookup::Missing,
                };
            }
            path.push("index.html");
        } else {
            path.push(homepage.trim_start_matches('/'));
        }
    }
    match path.canonicalize() {
        Ok(real) if !real.starts_with(root) => Lookup::Forbidden,
        Ok(real) if real.is_file() => Lookup::File(real),
        _ => Lookup::Missing,
    }
}

/// PM2's content type for a file name (by extension, `text/plain` when unknown).
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "application/javascript",
        "json" | "map" => "application/json",
        "txt" | "text" | "log" | "conf" | "md" => "text/plain",
        "csv" => "text/csv",
        "xml" | "xsl" => "application/xml",
        "xhtml" => "application/xhtml+xml",
        "yaml" | "yml" => "text/yaml",
        "svg" | "svgz" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "bmp" => "image/bmp",
        "ico" => "image/vnd.microsoft.icon",
        "tif" | "tiff" => "image/tiff",
        "woff" | "woff2" => "application/font-woff",
        "ttf" | "otf" | "otc" => "application/font-sfnt",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/x-gzip",
        "tar" => "application/x-tar",
        "mp3" => "audio/mpeg",
        "wav" => "audio/x-wav",
        "ogg" => "application/ogg",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "bin" | "exe" | "dll" | "so" | "iso" | "dmg" => "application/octet-stream",
        "sh" => "application/x-sh",
        _ => "text/plain",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::write(root.join("docs/index.html"), "docs").unwrap();
        std::fs::write(root.join("a b.txt"), "spaced").unwrap();
        std::fs::write(dir.path().join("secret"), "no").unwrap();
        let root = root.canonicalize().unwrap();
        (dir, root)
    }

    #[test]
    fn files_folders_and_the_homepage() {
        let (_dir, root) = site();
        let home = "/index.html";
        assert_eq!(
            lookup(&root, "/", home),
            Lookup::File(root.join("index.html"))
        );
        assert_eq!(
            lookup(&root, "/docs/", home),
            Lookup::File(root.join("docs/index.html"))
        );
        assert_eq!(
            lookup(&root, "/a%20b.txt", home),
            Lookup::File(root.join("a b.txt"))
        );
        assert_eq!(lookup(&root, "/nope.html", home), Lookup::Missing);
    }

    #[test]
    fn nothing_outside_the_folder() {
        let (dir, root) = site();
        let home = "/index.html";
        // Dot segments stop at the root, as a URL parser resolves them.
        assert_eq!(lookup(&root, "/../secret", home), Lookup::Missing);
        assert_eq!(lookup(&root, "/%2e%2e/secret", home), Lookup::Missing);
        assert_eq!(lookup(&root, "/..%2fsecret", home), Lookup::Forbidden);
        assert_eq!(
            lookup(&root, "/%2e%2e%2f..%2fsecret", home),
            Lookup::Forbidden
        );
        assert_eq!(lookup(&root, "/a%00b", home), Lookup::Forbidden);
        assert_eq!(lookup(&root, "/%zz", home), Lookup::BadRequest);
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
        assert_eq!(lookup(&root, "/link", home), Lookup::Forbidden);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type(Path::new("a/index.HTML")), "text/html");
        assert_eq!(content_type(Path::new("app.js")), "application/javascript");
        assert_eq!(content_type(Path::new("logo.png")), "image/png");
        assert_eq!(content_type(Path::new("README")), "text/plain");
    }
}
