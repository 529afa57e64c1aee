//! A process and its descendants, read from `/proc` without scanning every process.

use std::fs;

/// `pid` followed by all its descendants (children of every thread, recursively).
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = vec![pid];
    let mut index = 0;
    while index < found.len() && found.len() < 4096 {
        let current = found[index];
        index += 1;
        let Ok(tasks) = fs::read_dir(format!("/proc/{current}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            found.extend(
                children
                    .split_ascii_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok())
                    .filter(|c| !found.contains(c))
                    .collect::<Vec<_>>(),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_found_under_its_parent() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let me = std::process::id();
        let tree = descendants(me);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(tree[0], me);
        assert!(tree.contains(&child.id()), "{tree:?}");
    }
}
