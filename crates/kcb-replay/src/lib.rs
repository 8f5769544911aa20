//! What makes a run replay: the injected clock every timed part reads, and the seeds derived
//! from the scenario's seed for every random choice; `ticker`, the real clock's precise
//! wake-ups. The bottom of the workspace: the embedded
//! service and the harness both read time through [`clock::Clock`].

pub mod clock;
pub mod seed;
pub mod ticker;
