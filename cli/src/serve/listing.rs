//! `pm2 serve --ftp`: a folder without `index.html` answered with a listing of its entries,
//! as PM2's Serve.js renders it (folders first, then files, by name; dot files left out).

use std::path::Path;
use std::time::SystemTime;

/// One entry of a listing.
struct Entry {
    name: String,
    is_dir: bool,
    size: u64,
    modified: Option<SystemTime>,
}

/// The HTML page listing `folder`, reached at `url`.
pub fn render(folder: &Path, url: &str) -> String {
    let mut url = url.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    let mut entries: Vec<Entry> = std::fs::read_dir(folder)
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let meta = e.metadata().ok()?;
                    (!name.starts_with('.')).then(|| Entry {
                        name,
                        is_dir: meta.is_dir(),
                        size: meta.len(),
                        modified: meta.modified().ok(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
    let mut rows = String::new();
    if url != "/" {
        rows.push_str("<tr><td class=\"name\"><a href=\"../\">../</a></td><td class=\"size\">-</td><td class=\"mtime\">-</td></tr>\n");
    }
    for entry in &entries {
        let slash = if entry.is_dir { "/" } else { "" };
        let size = if entry.is_dir {
            "-".to_string()
        } else {
            file_size(entry.size)
        };
        let modified = entry.modified.map(iso_time).unwrap_or_else(|| "-".into());
        rows.push_str(&format!(
            "<tr><td class=\"name\"><a href=\"{}{slash}\">{}{slash}</a></td><td class=\"size\">{size}</td><td class=\"mtime\">{modified}</td></tr>\n",
            escape(&encode(&entry.name)),
            escape(&entry.name),
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Index of {url}</title></head>\n<body><h1>Index of {url}</h1>\n<table>\n{rows}</table>\n</body></html>\n",
        url = escape(&url)
    )
}

/// PM2's sizes: `512B`, `1.5K`, `2.0M`, `1.1G`.
fn file_size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes}B"),
        1024..1_048_576 => format!("{:.1}K", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1}M", b / 1_048_576.0),
        _ => format!("{:.1}G", b / 1_073_741_824.0),
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, as PM2's `toISOString().replace('T', ' ').slice(0, 19)`.
fn iso_time(time: SystemTime) -> String {
    let ms = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    pm2_protocol::timestamp::iso_at_ms(ms)
        .replace('T', " ")
        .chars()
        .take(19)
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `encodeURIComponent` of a name.
fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_first_then_files_without_dot_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("zdir")).unwrap();
        std::fs::write(dir.path().join("a b.txt"), vec![0u8; 2048]).unwrap();
        std::fs::write(dir.path().join(".hidden"), "x").unwrap();
        let html = render(dir.path(), "/sub");
        let dir_at = html.find(">zdir/</a>").expect("folder listed");
        let file_at = html.find(">a b.txt</a>").expect("file listed");
        assert!(dir_at < file_at, "{html}");
        assert!(html.contains("href=\"a%20b.txt\""), "{html}");
        assert!(html.contains("<td class=\"size\">2.0K</td>"), "{html}");
        assert!(html.contains("href=\"../\""), "{html}");
        assert!(html.contains("Index of /sub/"), "{html}");
        assert!(!html.contains("hidden"), "{html}");
        assert!(!render(dir.path(), "/").contains("href=\"../\""));
    }

    #[test]
    fn sizes_as_pm2_prints_them() {
        assert_eq!(file_size(512), "512B");
        assert_eq!(file_size(1536), "1.5K");
        assert_eq!(file_size(3 * 1_048_576), "3.0M");
    }
}
