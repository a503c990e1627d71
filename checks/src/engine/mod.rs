//! The engine: the `Check` trait and the context a check runs in, the facts checks hand to each
//! other, and the runner (order, dependencies, deadlines, concurrency). It knows no check.

pub mod check;
pub mod facts;
pub mod runner;
