//! What each key means, in each mode of the dashboard: a pure mapping from a key press to
//! an [`Intent`], so the bindings are listed (and tested) in one place, apart from what
//! they do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use pm2_protocol::Action;

use super::state::Mode;

/// What the user asked for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Leave the dashboard (`q`, Esc, Ctrl-C).
    Quit,
    /// Move the selection by this many rows (arrows, j/k, PageUp/PageDown).
    Move(isize),
    /// Select the first row (Home, g).
    First,
    /// Select the last row (End, G).
    Last,
    /// Restart, stop or reload the selected process at once (`r`, `s`, `l`).
    Act(Action),
    /// Ask to delete the selected process (`d`, Delete): needs a confirmation.
    AskDelete,
    /// Yes to the pending question (`y`, Enter).
    Confirm,
    /// No to the pending question (`n`, Esc).
    Cancel,
    /// Start typing a filter (`/`).
    OpenFilter,
    /// Add a character to the filter.
    FilterPush(char),
    /// Remove the filter's last character (Backspace).
    FilterPop,
    /// Stop typing and keep the filter (Enter).
    KeepFilter,
    /// Stop typing and drop the filter (Esc while typing, or in the list while one is set).
    ClearFilter,
}

/// Rows moved by PageUp / PageDown.
pub const PAGE: isize = 10;

/// The intent of a key press in `mode`; `None` for keys that mean nothing there (and for
/// key releases, which some terminals report).
///
/// `filtering` tells whether a filter is set: then Esc in the list clears it first.
pub fn intent(mode: &Mode, filtering: bool, key: KeyEvent) -> Option<Intent> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(Intent::Quit);
    }
    match mode {
        Mode::Browse => browse(key.code, ctrl, filtering),
        Mode::Filter => filter(key.code, ctrl),
        Mode::Confirm(_) => confirm(key.code),
    }
}

fn browse(code: KeyCode, ctrl: bool, filtering: bool) -> Option<Intent> {
    if ctrl {
        return None;
    }
    Some(match code {
        KeyCode::Char('q') => Intent::Quit,
        KeyCode::Esc if filtering => Intent::ClearFilter,
        KeyCode::Esc => Intent::Quit,
        KeyCode::Up | KeyCode::Char('k') => Intent::Move(-1),
        KeyCode::Down | KeyCode::Char('j') => Intent::Move(1),
        KeyCode::PageUp => Intent::Move(-PAGE),
        KeyCode::PageDown => Intent::Move(PAGE),
        KeyCode::Home | KeyCode::Char('g') => Intent::First,
        KeyCode::End | KeyCode::Char('G') => Intent::Last,
        KeyCode::Char('r') => Intent::Act(Action::Restart),
        KeyCode::Char('s') => Intent::Act(Action::Stop),
        KeyCode::Char('l') => Intent::Act(Action::Reload),
        KeyCode::Char('d') | KeyCode::Delete => Intent::AskDelete,
        KeyCode::Char('/') => Intent::OpenFilter,
        _ => return None,
    })
}

fn filter(code: KeyCode, ctrl: bool) -> Option<Intent> {
    Some(match code {
        KeyCode::Esc => Intent::ClearFilter,
        KeyCode::Enter => Intent::KeepFilter,
        KeyCode::Backspace => Intent::FilterPop,
        KeyCode::Up => Intent::Move(-1),
        KeyCode::Down => Intent::Move(1),
        KeyCode::Char(c) if !ctrl => Intent::FilterPush(c),
        _ => return None,
    })
}

fn confirm(code: KeyCode) -> Option<Intent> {
    match code {
        KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => Some(Intent::Confirm),
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
            Some(Intent::Cancel)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monit::state::Pending;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl_c() -> KeyEvent {
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
    }

    fn confirming() -> Mode {
        Mode::Confirm(Pending {
            action: Action::Delete,
            pm_id: 0,
            name: "api".into(),
        })
    }

    #[test]
    fn the_list_keys() {
        let browse = |code| intent(&Mode::Browse, false, press(code));
        assert_eq!(browse(KeyCode::Char('q')), Some(Intent::Quit));
        assert_eq!(browse(KeyCode::Esc), Some(Intent::Quit));
        assert_eq!(browse(KeyCode::Down), Some(Intent::Move(1)));
        assert_eq!(browse(KeyCode::Char('j')), Some(Intent::Move(1)));
        assert_eq!(browse(KeyCode::Up), Some(Intent::Move(-1)));
        assert_eq!(browse(KeyCode::Char('k')), Some(Intent::Move(-1)));
        assert_eq!(browse(KeyCode::PageDown), Some(Intent::Move(PAGE)));
        assert_eq!(browse(KeyCode::Char('G')), Some(Intent::Last));
        assert_eq!(
            browse(KeyCode::Char('r')),
            Some(Intent::Act(Action::Restart))
        );
        assert_eq!(browse(KeyCode::Char('s')), Some(Intent::Act(Action::Stop)));
        assert_eq!(
            browse(KeyCode::Char('l')),
            Some(Intent::Act(Action::Reload))
        );
        assert_eq!(browse(KeyCode::Char('d')), Some(Intent::AskDelete));
        assert_eq!(browse(KeyCode::Char('/')), Some(Intent::OpenFilter));
        assert_eq!(browse(KeyCode::Char('x')), None);
    }

    #[test]
    fn ctrl_c_quits_in_every_mode() {
        for mode in [Mode::Browse, Mode::Filter, confirming()] {
            assert_eq!(
                intent(&mode, true, ctrl_c()),
                Some(Intent::Quit),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn esc_in_the_list_clears_a_filter_before_quitting() {
        assert_eq!(
            intent(&Mode::Browse, true, press(KeyCode::Esc)),
            Some(Intent::ClearFilter)
        );
        assert_eq!(
            intent(&Mode::Browse, true, press(KeyCode::Char('q'))),
            Some(Intent::Quit)
        );
    }

    #[test]
    fn typing_a_filter_takes_every_character() {
        let filter = |code| intent(&Mode::Filter, false, press(code));
        assert_eq!(filter(KeyCode::Char('q')), Some(Intent::FilterPush('q')));
        assert_eq!(filter(KeyCode::Char('/')), Some(Intent::FilterPush('/')));
        assert_eq!(filter(KeyCode::Backspace), Some(Intent::FilterPop));
        assert_eq!(filter(KeyCode::Enter), Some(Intent::KeepFilter));
        assert_eq!(filter(KeyCode::Esc), Some(Intent::ClearFilter));
        assert_eq!(filter(KeyCode::Down), Some(Intent::Move(1)));
    }

    #[test]
    fn a_question_takes_only_yes_or_no() {
        let mode = confirming();
        let answer = |code| intent(&mode, false, press(code));
        assert_eq!(answer(KeyCode::Char('y')), Some(Intent::Confirm));
        assert_eq!(answer(KeyCode::Enter), Some(Intent::Confirm));
        assert_eq!(answer(KeyCode::Char('n')), Some(Intent::Cancel));
        assert_eq!(answer(KeyCode::Esc), Some(Intent::Cancel));
        assert_eq!(answer(KeyCode::Char('d')), None);
        assert_eq!(answer(KeyCode::Char('r')), None);
    }

    #[test]
    fn key_releases_mean_nothing() {
        let mut key = press(KeyCode::Char('q'));
        key.kind = KeyEventKind::Release;
        assert_eq!(intent(&Mode::Browse, false, key), None);
    }
}
