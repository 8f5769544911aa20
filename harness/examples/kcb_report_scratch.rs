use clap::Parser;
#[derive(Parser)]
struct A {
    #[command(flatten)]
    r: kcb::cli::report::ReportArgs,
}
fn main() -> std::process::ExitCode {
    kcb::cli::report::run(&A::parse().r)
}
