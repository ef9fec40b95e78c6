//! Detection: which functions are LiveKit job entrypoints, across the modules
//! of a package.

pub mod link;
pub mod registrations;
pub mod clients;
pub mod llm_calls;
