//! Faults: a timed plan (pure), the engine that applies it while a run goes on, and the report
//! of what each fault did to each path.

pub mod engine;
pub mod plan;
pub mod report;

pub use engine::{Engine, PathTarget};
pub use plan::{plan, Action, Step};
