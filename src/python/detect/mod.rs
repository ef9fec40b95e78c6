//! Detection: which functions are LiveKit job entrypoints, across the modules
//! of a package.

pub mod clients;
pub mod dispatch;
pub mod imported;
pub mod link;
pub mod llm_calls;
pub mod reach;
pub mod registrations;
pub mod telemetry_setup;
