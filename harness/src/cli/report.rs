//! `kinesis-crypto-bench report RESULT.json... --out DIR [--png] [--history FILE]
//! [--append-history FILE] [--audit AUDIT.json]`: an HTML page with plots (DIR/index.html) and
//! a Markdown summary (DIR/summary.md), read from result files (and an audit's JSON) only.
//!
//! Exit codes: 0 written; 2 an input could not be read (the message names the file); 3 the
//! output could not be written or a plot could not be drawn.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::exit::Exit;
use crate::report::audit::AuditDoc;
use crate::report::history::{append_history, read_history, HistoryLine};
use crate::report::plots::PngFont;
use crate::report::series::{newest_per_scenario, ReportRun};
use crate::report::{html, summary};

/// Arguments of `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Result files (`result.json`); the `latency.hlog` beside each is read when present.
    #[arg(required_unless_present = "audit")]
    pub results: Vec<PathBuf>,
    /// Directory to write index.html and summary.md to (created if absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write a PNG of every plot (needs a TrueType font: KCB_FONT, or a common system one).
    #[arg(long)]
    pub png: bool,
    /// A nightly history (JSON lines) to draw the trend across nights from.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Append one line for the first RESULT to this history file before drawing.
    #[arg(long)]
    pub append_history: Option<PathBuf>,
    /// An audit to include: the JSON `audit --format json` wrote.
    #[arg(long)]
    pub audit: Option<PathBuf>,
}

/// What `report` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// DIR/index.html.
    pub index: PathBuf,
    /// DIR/summary.md.
    pub summary: PathBuf,
    /// The PNG copies of the plots.
    pub pngs: Vec<PathBuf>,
}

/// A failure of `report`, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum ReportFailure {
    /// An input (result, history) could not be read.
    #[error("{0}")]
    Input(String),
    /// The output could not be written, or a plot drawn.
    #[error("{0}")]
    Output(String),
}

impl ReportFailure {
    /// The process exit status.
    pub fn exit_code(&self) -> Exit {
        match self {
            ReportFailure::Input(_) => Exit::BadInput,
            ReportFailure::Output(_) => Exit::CouldNotRun,
        }
    }
}

/// Run `report`, printing what was written (or what went wrong) and returning the exit code.
pub fn run(args: &ReportArgs) -> ExitCode {
    match write_report(args) {
        Ok(w) => {
            println!("wrote {}", w.index.display());
            println!("wrote {}", w.summary.display());
            if !w.pngs.is_empty() {
                println!(
                    "wrote {} PNG plot(s) to {}",
                    w.pngs.len(),
                    args.out.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kinesis-crypto-bench report: {e}");
            e.exit_code().into()
        }
    }
}

/// Read the inputs and write the report; notes (an unreadable latency log, PNGs skipped for
/// want of a font) go to stderr.
pub fn write_report(args: &ReportArgs) -> Result<Written, ReportFailure> {
    if args.results.is_empty() && args.audit.is_none() {
        return Err(ReportFailure::Input(
            "no result file (and no --audit) given".to_owned(),
        ));
    }
    let audit = match &args.audit {
        Some(file) => Some(AuditDoc::load(file).map_err(ReportFailure::Input)?),
        None => None,
    };
    let mut runs = Vec::with_capacity(args.results.len());
    for file in &args.results {
        let run = ReportRun::load(file).map_err(|e| ReportFailure::Input(e.to_string()))?;
        if let Some(note) = &run.hlog_note {
            eprintln!(
                "note: {}: {note}",
                file.with_file_name(crate::report::series::HLOG_FILE)
                    .display()
            );
        }
        runs.push(run);
    }
    if let (Some(path), true) = (&args.append_history, runs.is_empty()) {
        return Err(ReportFailure::Input(format!(
            "--append-history {}: needs a result file to append",
            path.display()
        )));
    }
    if let Some(path) = &args.append_history {
        let line = HistoryLine::from_result(&runs[0].result);
        append_history(path, &line).map_err(|e| ReportFailure::Output(e.to_string()))?;
    }
    let history = match &args.history {
        Some(path) => Some(read_history(path).map_err(|e| ReportFailure::Input(e.to_string()))?),
        None => None,
    };
    let font = if args.png {
        match PngFont::find() {
            Ok(font) => Some(font),
            Err(why) => {
                eprintln!("note: PNG copies skipped: {why}");
                None
            }
        }
    } else {
        None
    };
    let page = html::render(&runs, history.as_deref(), audit.as_ref(), font.as_ref())
        .map_err(|e| ReportFailure::Output(e.to_string()))?;
    let mut text = summary::render(&newest_per_scenario(&runs));
    if let Some(doc) = &audit {
        text.push_str(&doc.summary());
    }
    let out = &args.out;
    let io =
        |path: &Path, e: std::io::Error| ReportFailure::Output(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let index = out.join("index.html");
    std::fs::write(&index, &page.html).map_err(|e| io(&index, e))?;
    let summary_path = out.join("summary.md");
    std::fs::write(&summary_path, text).map_err(|e| io(&summary_path, e))?;
    let mut pngs = Vec::with_capacity(page.pngs.len());
    for (name, bytes) in &page.pngs {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        pngs.push(path);
    }
    Ok(Written {
        index,
        summary: summary_path,
        pngs,
    })
}
