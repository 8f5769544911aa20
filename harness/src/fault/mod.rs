//! Faults: a timed plan (pure), one module per fault kind that applies it and notes what undoes
//! it, the engine that runs the plan while a run goes on, the key states key faults share, and
//! the report of what each fault did to each path.

pub mod engine;
pub mod error;
pub mod keys;
pub mod kinds;
pub mod plan;
pub mod report;
pub mod undo;
pub mod window;
pub mod world;

pub use engine::{Applied, Engine};
pub use error::FaultError;
pub use plan::{plan, Action, Step};
pub use window::FaultWindow;
pub use world::{PathTarget, World};
