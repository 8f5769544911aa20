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

/// How a command that prints a result (`run`, `calls`) prints it: `--format` (the same switch
/// as [`DocFormat`]'s; `--json` is kept as its old spelling of `--format json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// A table for people.
    #[default]
    Text,
    /// One JSON document on stdout, for scripts.
    Json,
}

/// The `--format` and `--json` flags of `run` and `calls`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ResultFormatArgs {
    /// How to print the result: `text` (a table) or `json` (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    pub format: ResultFormat,
    /// The same as `--format json` (its older spelling).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

impl ResultFormatArgs {
    /// Whether the result is printed as JSON.
    pub fn is_json(&self) -> bool {
        self.json || self.format == ResultFormat::Json
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{ResultFormat, ResultFormatArgs};

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        output: ResultFormatArgs,
    }

    fn parse(args: &[&str]) -> Result<ResultFormatArgs, clap::Error> {
        Cmd::try_parse_from(std::iter::once("x").chain(args.iter().copied())).map(|c| c.output)
    }

    #[test]
    fn format_json_and_its_older_spelling_agree_and_text_is_the_default() {
        assert!(!parse(&[]).expect("no flag").is_json());
        assert_eq!(parse(&[]).expect("no flag").format, ResultFormat::Text);
        assert!(parse(&["--format", "json"])
            .expect("--format json")
            .is_json());
        assert!(parse(&["--json"]).expect("--json").is_json());
        assert!(!parse(&["--format", "text"]).expect("text").is_json());
        assert!(parse(&["--json", "--format", "text"]).is_err());
        assert!(parse(&["--format", "yaml"]).is_err());
    }
}
