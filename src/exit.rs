//! The one table of exit codes, and the mapping of every outcome onto it.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success; for `plan --detailed-exitcode`: no changes |
//! | 1    | any error, flag errors included (clap's own 2 is remapped) |
//! | 2    | `plan --detailed-exitcode` only: the plan has changes |
//! | 130  | interrupted by Ctrl-C (apply/destroy: state saved, journal kept; lock released) |

use std::process::ExitCode;

pub const SUCCESS: u8 = 0;
pub const ERROR: u8 = 1;
pub const CHANGES: u8 = 2;
pub const INTERRUPTED: u8 = 130;

/// What a command ended with, before it becomes a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Only reported by `plan --detailed-exitcode`.
    Changes,
    /// The command failed after it already reported why (e.g. diagnostics, a failed apply).
    Failed,
    Interrupted,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => SUCCESS,
            Outcome::Changes => CHANGES,
            Outcome::Failed => ERROR,
            Outcome::Interrupted => INTERRUPTED,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        ExitCode::from(o.code())
    }
}
