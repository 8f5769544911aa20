//! Subcommands of the `kinesis-crypto-bench` binary that live in the library, each a clap
//! `Args` struct and a `run` returning the process exit code.

pub mod audit;
pub mod calls;
pub mod cleanup;
pub mod gate;
pub mod merge;
pub mod plan;
pub mod report;
pub mod target_args;

/// How a command that prints a document (`plan`, `audit`) prints it: `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    /// Markdown: tables, findings, commands.
    Markdown,
    /// JSON, for scripts.
    Json,
}
