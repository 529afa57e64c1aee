//! Reading the last lines of a log file without reading the whole file.

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
