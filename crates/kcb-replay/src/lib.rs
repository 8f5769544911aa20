//! What makes a run replay: the injected clock every timed part reads, and the seeds derived
//! from the scenario's seed for every random choice. The bottom of the workspace: the embedded
//! service and the harness both read time through [`clock::Clock`].

pub mod clock;
pub mod seed;
