pub mod clients;
pub mod llm_calls;
