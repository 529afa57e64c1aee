//! Reading the last lines of a log file without reading the whole file (`pm2 logs`,
//! `pm2-mcp`'s `pm2_tail_logs`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const BLOCK: u64 = 64 * 1024;

/// The last `n` lines of the file (without their newlines), oldest first. Reads backwards
/// block by block, so a huge file costs only what the lines take.
pub fn last_lines(path: &Path, n: usize) -> std::io::Result<Vec<Vec<u8>>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut start = len;
    let mut buffer: Vec<u8> = Vec::new();
    // One more newline than lines: the one that ends the line before the first we keep.
    loop {
        let newlines = buffer.iter().filter(|&&b| b == b'\n').count();
        let trailing = usize::from(buffer.last() == Some(&b'\n'));
        if start == 0 || newlines >= n + trailing {
            break;
        }
        let step = BLOCK.min(start);
        start -= step;
        file.seek(SeekFrom::Start(start))?;
        let mut block = vec![0u8; step as usize];
        file.read_exact(&mut block)?;
        block.extend_from_slice(&buffer);
        buffer = block;
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    }
    if buffer.is_empty() && len == 0 {
        return Ok(Vec::new());
    }
    let lines: Vec<&[u8]> = buffer.split(|&b| b == b'\n').collect();
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..].iter().map(|l| l.to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text).unwrap();
        f
    }

    #[test]
    fn the_last_lines_in_order() {
        let f = file_with(b"a\nb\nc\nd\n");
        assert_eq!(
            last_lines(f.path(), 2).unwrap(),
            vec![b"c".to_vec(), b"d".to_vec()]
        );
        assert_eq!(last_lines(f.path(), 10).unwrap().len(), 4);
        assert!(last_lines(f.path(), 0).unwrap().is_empty());
    }

    #[test]
    fn a_last_line_without_newline_counts() {
        let f = file_with(b"a\nb\npartial");
        assert_eq!(
            last_lines(f.path(), 2).unwrap(),
            vec![b"b".to_vec(), b"partial".to_vec()]
        );
    }

    #[test]
    fn an_empty_file_has_no_lines() {
        let f = file_with(b"");
        assert!(last_lines(f.path(), 5).unwrap().is_empty());
    }

    #[test]
    fn lines_across_block_boundaries_in_a_big_file() {
        let mut text = Vec::new();
        for i in 0..100_000 {
            text.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let f = file_with(&text);
        let last = last_lines(f.path(), 3).unwrap();
        assert_eq!(
            last,
            vec![
                b"line 99997".to_vec(),
                b"line 99998".to_vec(),
                b"line 99999".to_vec()
            ]
        );
    }

    #[test]
    fn a_line_longer_than_a_block_comes_whole() {
        let long = vec![b'x'; 200_000];
        let mut text = b"first\n".to_vec();
        text.extend_from_slice(&long);
        text.push(b'\n');
        let f = file_with(&text);
        assert_eq!(last_lines(f.path(), 1).unwrap(), vec![long]);
    }
}
