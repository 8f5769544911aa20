//! Reports a person reads, made from a [`crate::result::RunResult`] and nothing else.
//!
//! [`table::render`] draws the console tables; every value is written by [`crate::format`], so
//! every report writes latencies, bytes and dollars the same way.

pub mod audit;
pub mod bill;
pub mod generator;
pub mod history;
pub mod html;
pub mod plots;
pub mod series;
pub mod summary;
pub mod table;
mod tenant_tables;
pub mod workers;

pub use table::render;
