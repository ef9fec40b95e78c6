//! Transforms, one file each, each with its before/after in its doc comment.

pub mod bounded_span;
pub mod executor_context;
pub mod framework_usage;
pub mod greeting_counter;
pub mod llm_span;
pub mod module_setup;
pub mod session_span;
pub mod shutdown_context;
pub mod stream_options;
