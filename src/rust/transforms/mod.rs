pub mod llm_span;
pub mod telemetry_module;
