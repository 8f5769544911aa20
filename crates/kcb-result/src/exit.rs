//! The process's exit status, one scheme for every command: what CI and scripts act on, so it is
//! part of the contract with users as the result is.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, and every check held.
    Ok,
    /// 1: done, and a check failed: an expectation, the gate (a regression), an audit
    /// requirement. What the command writes is still written.
    Failed,
    /// 2: the input is unusable (a scenario, a result, a flag, a file the command reads); the
    /// message names the file, the field and what would be valid.
    BadInput,
    /// 3: the command could not be carried out (the target or a role's credentials, setup, an
    /// output that cannot be written).
    CouldNotRun,
    /// 130: stopped by Ctrl-C or SIGTERM.
    Interrupted,
}

impl Exit {
    /// The status as the process returns it.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::BadInput => 2,
            Exit::CouldNotRun => 3,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}
