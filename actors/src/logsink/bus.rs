//! The log bus: every line, to every `pm2 logs` follower, without ever slowing an app.
//!
//! A bounded broadcast channel: sinks publish only while someone follows, and a follower
//! that falls behind loses the oldest lines and is told how many (tokio's `Lagged`), instead
//! of the daemon buffering for it without bound.

use std::sync::Arc;

use pm2_protocol::{LogLine, Target};
use tokio::sync::broadcast;

/// Lines kept for the slowest follower before it starts missing some.
pub const BUS_CAPACITY: usize = 16 * 1024;

/// The sending side, shared by every sink.
#[derive(Debug, Clone)]
pub struct LogBus {
    tx: broadcast::Sender<Arc<LogLine>>,
}

impl Default for LogBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BUS_CAPACITY).0,
        }
    }
}

impl LogBus {
    /// A new follower, receiving lines from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LogLine>> {
        self.tx.subscribe()
    }

    /// Whether anyone follows (sinks skip building lines otherwise).
    pub fn has_followers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Publishes one line.
    pub fn publish(&self, line: LogLine) {
        let _ = self.tx.send(Arc::new(line));
    }
}

/// Which lines a follower wants, by the targets it named (all when none).
#[derive(Debug)]
pub struct LineFilter {
    targets: Vec<Compiled>,
}

#[derive(Debug)]
enum Compiled {
    All,
    Id(u32),
    Name(String),
    Regex(regex::Regex),
    /// A typed number: the app or namespace of that name, or the id (a line cannot tell
    /// which one the table would pick, so either matches).
    Number(u32, String),
}

impl LineFilter {
    /// Compiles the targets; an invalid regular expression is an error naming it.
    pub fn new(targets: &[Target]) -> Result<LineFilter, String> {
        let targets = targets
            .iter()
            .map(|t| {
                Ok(match t {
                    Target::All => Compiled::All,
                    Target::Id(id) => Compiled::Id(*id),
                    Target::Name(name) | Target::Script { name, .. } => {
                        Compiled::Name(name.clone())
                    }
                    Target::Number(n) => Compiled::Number(*n, n.to_string()),
                    Target::Regex(pattern) => Compiled::Regex(
                        regex::Regex::new(pattern)
                            .map_err(|e| format!("invalid regular expression /{pattern}/: {e}"))?,
                    ),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(LineFilter { targets })
    }

    /// Whether the line's process is named (a name matches an app or a namespace).
    pub fn matches(&self, line: &LogLine) -> bool {
        self.targets.is_empty()
            || self.targets.iter().any(|t| match t {
                Compiled::All => true,
                Compiled::Id(id) => *id == line.pm_id,
                Compiled::Name(name) => *name == line.name || *name == line.namespace,
                Compiled::Regex(re) => re.is_match(&line.name),
                Compiled::Number(id, name) => {
                    *id == line.pm_id || *name == line.name || *name == line.namespace
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pm2_protocol::LogStream;

    fn line(pm_id: u32, name: &str, namespace: &str) -> LogLine {
        LogLine {
            pm_id,
            name: name.into(),
            namespace: namespace.into(),
            stream: LogStream::Out,
            line: b"x".to_vec(),
            at_ms: 0,
        }
    }

    #[test]
    fn targets_filter_lines_as_pm2_logs_does() {
        let f = LineFilter::new(&[Target::Name("api".into()), Target::Id(7)]).unwrap();
        assert!(f.matches(&line(1, "api", "default")));
        assert!(f.matches(&line(7, "worker", "default")));
        assert!(!f.matches(&line(2, "worker", "default")));
        let ns = LineFilter::new(&[Target::Name("back".into())]).unwrap();
        assert!(ns.matches(&line(2, "worker", "back")));
        let re = LineFilter::new(&[Target::Regex("^api-".into())]).unwrap();
        assert!(
            re.matches(&line(2, "api-1", "default")) && !re.matches(&line(2, "web", "default"))
        );
        assert!(LineFilter::new(&[])
            .unwrap()
            .matches(&line(9, "any", "default")));
        assert!(LineFilter::new(&[Target::Regex("(".into())]).is_err());
        let n = LineFilter::new(&[Target::Number(3)]).unwrap();
        assert!(n.matches(&line(3, "web", "default")) && n.matches(&line(1, "3", "default")));
        assert!(!n.matches(&line(1, "web", "default")));
    }

    #[tokio::test]
    async fn a_follower_that_falls_behind_is_told_how_many_lines_it_missed() {
        let bus = LogBus::default();
        let mut rx = bus.subscribe();
        for i in 0..(BUS_CAPACITY as u32 + 10) {
            bus.publish(line(i, "a", "default"));
        }
        match rx.recv().await {
            Err(broadcast::error::RecvError::Lagged(n)) => assert_eq!(n, 10),
            other => panic!("expected a lag, got {other:?}"),
        }
        assert_eq!(rx.recv().await.unwrap().pm_id, 10);
    }
}
