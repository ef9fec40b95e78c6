//! Tool diagnostics (`VOF1xx`, `VOF9xx`): the places the tool reports instead
//! of rewriting, because a rewrite there could not be proved safe, or because
//! what it would write would not work. They are not style rules (nothing
//! checks the code's own telemetry for them) but they are explained the same
//! way: `voice-otel-fix --explain VOF113` prints the page below, and
//! `voice-otel-fix rules` lists them after the rules.
//!
//! Every code the tool emits has a page here: `tests/cli.rs` reads the
//! sources for `"VOF…"` literals and fails on a code without one.

use crate::python::rules::Rule;

const fn notice(code: &'static str, name: &'static str, summary: &'static str, doc: &'static str) -> Rule {
    Rule { code, name, summary, doc, fix: false }
}

/// Every tool diagnostic, in code order.
pub const TOOL_DIAGNOSTICS: &[Rule] = &[
    notice(
        "VOF101",
        "entrypoint-without-job-context",
        "An entrypoint that takes no `JobContext` parameter",
        "## What it does\nReports a registered entrypoint whose signature has no parameter for the `JobContext` (or, for a method, none after `self`), or whose parameter is a `JobRequest`: a request handler, which livekit-agents before 0.7 took first in `WorkerOptions(request_fnc)`.\n\n## Why is this not rewritten?\nThe session span is ended in a callback registered with `<ctx>.add_shutdown_callback(...)` and its attributes read the room from the job: without the parameter there is nothing to register it on.\n\n## Example\n```python\nasync def entrypoint() -> None:\n    ...\n```\n\nUse instead:\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    ...\n```",
    ),
    notice(
        "VOF102",
        "entrypoint-body-not-on-its-own-lines",
        "An entrypoint whose body is empty or on its `def` line",
        "## What it does\nReports an entrypoint with no statements, or whose body sits on the `def` line (`async def entrypoint(ctx): await run(ctx)`).\n\n## Why is this not rewritten?\nThe body moves into a `with trace.use_span(...)` block one indentation level deeper: a body on the `def` line has no indentation to keep, and an empty body has nothing to measure.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None: await run(ctx)\n```\n\nUse instead:\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    await run(ctx)\n```",
    ),
    notice(
        "VOF103",
        "entrypoint-statements-share-a-line",
        "Statements sharing a line where the session span would start",
        "## What it does\nReports an entrypoint whose leading statements (the docstring, telemetry set-up, `await ctx.connect()`) share a line with the statement the session span would start before (`await ctx.connect(); await run(ctx)`).\n\n## Why is this not rewritten?\nThe span starts between two statements, and everything after it moves into a `with` block: with both on one line there is no place to split without rewriting the user's line.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    await ctx.connect(); await run(ctx)\n```\n\nUse instead: one statement per line.",
    ),
    notice(
        "VOF104",
        "generator-helper",
        "Bounded session work that is a generator, or returns an awaitable",
        "## What it does\nReports a helper called from an entrypoint that is a generator or an async generator, or a plain `def` whose result is awaited: awaited where the entrypoint calls it, or returning a coroutine of the module's own or a task (`asyncio.create_task(...)`, `ensure_future`, `gather`).\n\n## Why is this not rewritten?\n`@tracer.start_as_current_span(...)` on a generator function ends the span when the generator object is created, before a single item is produced: the span would measure nothing. A plain `def` that returns a coroutine or a task returns before that work runs, so its span would end first in the same way. The style rule VOF015 reports the decorator written by hand on a generator.\n\n## Example\n```python\nasync def _stream_updates(session):\n    async for update in feed():\n        yield update\n```\n\nUse instead: a span around the loop that consumes the generator, in its caller; for a helper returning an awaitable, `async def` awaiting the work inside (then it is decorated), or a span around the code that awaits it.",
    ),
    notice(
        "VOF105",
        "greeting-completion-not-observable",
        "A greeting whose completion the tool cannot observe",
        "## What it does\nReports a call of a greeting helper (its name says greet, or it calls `session.say` / `generate_reply`) from an entrypoint that is not awaited as a statement of its own: `asyncio.create_task(greet(session))`, `return await greet(session)`, or a call sharing its line; and a greeting helper that only queues its speech (`session.generate_reply(...)` or `session.say(...)` without awaiting the `SpeechHandle`), which returns before anything has been said; and one that can return without having greeted (an early `return`, or an exception it handles around the speech).\n\n## Why is this not rewritten?\n`voice.greetings.delivered` counts greetings that have been delivered, so it is added right after the awaited call: where the call is not awaited in place, no statement runs when the greeting is done.\n\n## Example\n```python\n    asyncio.create_task(_greet(session))\n```\n\nUse instead:\n```python\n    await _greet(session)\n```\nor count the greeting where the task is awaited.",
    ),
    notice(
        "VOF106",
        "mixed-tabs-and-spaces",
        "Indentation that mixes tabs and spaces",
        "## What it does\nReports the first line whose indentation mixes tabs and spaces, in a file the tool would otherwise rewrite. Nothing in the file is changed.\n\n## Why is this not rewritten?\nThe rewrite re-indents blocks (the entrypoint body moves into a `with` block). Where a block's lines mix tabs and spaces, one more level of indentation can change which lines Python puts in which block, so the rewrite is refused rather than guessed.\n\n## Example\nA body indented with a tab on one line and eight spaces on the next.\n\nUse instead: indent with one or the other (`ruff format`, or your editor's convert-indentation).",
    ),
    notice(
        "VOF107",
        "dispatcher-runs-own-session-too",
        "An entrypoint that both delegates to another entrypoint and runs a session of its own",
        "## What it does\nReports an entrypoint that hands the job, on some path, to another entrypoint (of this file, or imported: `await vision_entrypoint(ctx)`, `await voice.entrypoint(ctx)`) and also makes an `AgentSession` of its own.\n\n## Why is this not rewritten?\nThe entrypoint it delegates to starts its own `voice.session` span and counts the session. A dispatcher that only delegates gets no span of its own (its finding says so); one that also runs its own session would need a span on its own path only, and a span around the whole body would count every delegated session twice.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    if ctx.job.metadata == \"vision\":\n        return await vision_entrypoint(ctx)\n    session = AgentSession()\n    await session.start(agent=Receptionist(), room=ctx.room)\n```\n\nUse instead: the own path as an entrypoint-like function of its own, called like the other:\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    if ctx.job.metadata == \"vision\":\n        return await vision_entrypoint(ctx)\n    await reception_entrypoint(ctx)\n```\n(registered too, so that the tool instruments it).",
    ),
    notice(
        "VOF108",
        "telemetry-set-up-after-session-start",
        "Telemetry set up after the session span would start",
        "## What it does\nReports a statement in an entrypoint that sets up OpenTelemetry (`trace.set_tracer_provider(...)`, `configure_azure_monitor()`, a function of the project named for setting up telemetry) after the place the session span starts, or inside a block.\n\n## Why is this bad?\nThe session span and `voice.sessions.started` are created by the global providers in force when they start: set up later, they go to the no-op providers and are lost. The tool starts the span after set-up that leads the body; set-up further down or inside an `if`/`try` it does not move, since moving user code could change what the code does.\n\n## Example\n```python\nasync def entrypoint(ctx: JobContext) -> None:\n    await ctx.connect()\n    if settings.tracing:\n        setup_telemetry()\n```\n\nUse instead: set telemetry up at module level, in `prewarm`, or as the first statements of the entrypoint.",
    ),
    notice(
        "VOF109",
        "livekit-only-tracer-provider",
        "LiveKit's `telemetry.set_tracer_provider` is the only provider set",
        "## What it does\nReports `livekit.agents.telemetry.set_tracer_provider(provider)` in a file that never sets OpenTelemetry's global tracer provider.\n\n## Why is this bad?\nLiveKit's function gives the provider to LiveKit's own tracer only. The `voice.session` and `llm.*` spans are made with `trace.get_tracer(__name__)`, which uses the global provider: without it they are no-op spans and never exported.\n\n## Example\n```python\ntelemetry.set_tracer_provider(provider)\n```\n\nUse instead:\n```python\ntelemetry.set_tracer_provider(provider)\ntrace.set_tracer_provider(provider)\n```",
    ),
    notice(
        "VOF111",
        "stream-not-followed",
        "A streaming LLM call consumed in a way the tool cannot follow",
        "## What it does\nReports a streaming call (`stream=True`, `messages.stream(...)`, `generate_content_stream`, `chat_stream`, `converse_stream`) whose stream is not consumed by a `for` / `async for` loop the tool can see (or, for a stream manager, not used as `with ... as stream:`): a stream passed to another function, returned, stored on an object, or read by hand; and streams whose usage the SDK keeps out of reach: openai's `responses.stream(...)` (its final usage only through `get_final_response()`, which reads the rest of the stream) `with_streaming_response` (the raw HTTP body, never parsed), bedrock's `invoke_model_with_response_stream` (usage inside each model's own chunk format) and cohere's legacy `generate_stream` (its end event carries no usage).\n\n## Why is this not rewritten?\nA stream's token usage arrives on its last event, so the span and the counters must stay open until the stream is consumed. Where the consuming code is elsewhere, a span around the call would end before any token is read, with no usage: a wrong measurement, so no rewrite.\n\n## Example\n```python\n    stream = await client.messages.create(..., stream=True)\n    return stream\n```\n\nUse instead: instrument where the stream is consumed, or consume it in a loop next to the call.",
    ),
    notice(
        "VOF112",
        "llm-call-in-yielding-statement",
        "An LLM call in a statement that yields",
        "## What it does\nReports an LLM call whose statement (or the loop consuming its stream) contains `yield`.\n\n## Why is this not rewritten?\nThe span is made current with a `with` block. A `yield` inside it suspends the generator with the span still current in the context, so whatever the consumer does meanwhile would be attributed to the LLM call, and the span could be left open for good if the generator is never resumed.\n\n## Example\n```python\n    async for chunk in await client.chat.completions.create(..., stream=True):\n        yield chunk.choices[0].delta.content\n```\n\nUse instead: collect or count inside the loop without yielding under the span, or instrument the consumer.",
    ),
    notice(
        "VOF113",
        "openai-stream-usage-unsafe",
        "An openai stream whose usage cannot be added safely",
        "## What it does\nReports an openai `chat.completions.create(stream=True)` call whose `stream_options` exclude usage, or whose loop reads `chunk.choices[0]` without a guard.\n\n## Why is this not rewritten?\nopenai streams report usage only with `stream_options={\"include_usage\": True}`, and then the last chunk has an empty `choices` list: the rewrite would add the option, and the loop's unguarded `chunk.choices[0]` would raise `IndexError` on that chunk. A rewrite that changes behaviour is never made.\n\n## Example\n```python\n    async for chunk in await client.chat.completions.create(model=m, messages=msgs, stream=True):\n        text += chunk.choices[0].delta.content or \"\"\n```\n\nUse instead:\n```python\n    async for chunk in await client.chat.completions.create(model=m, messages=msgs, stream=True):\n        if chunk.choices:\n            text += chunk.choices[0].delta.content or \"\"\n```\nthen run the tool again.",
    ),
    notice(
        "VOF114",
        "llm-call-cannot-be-wrapped",
        "An LLM call where a span cannot be placed around it",
        "## What it does\nReports an LLM call in a place a `with` block cannot wrap without changing when the call runs: a lambda that is not called right away, a default argument value or decorator, an `elif` condition, an async call scheduled as a task (`asyncio.create_task(client.messages.create(...))`) or held in a name and awaited later, or a statement that shares its line with others.\n\n## Why is this not rewritten?\nThe span wraps the call's whole statement. A lambda's body runs later (the span would measure creating the lambda); a default value runs once, at `def` time; a task or a held coroutine runs after the statement that makes it, when such a span has ended; an `elif` condition is tested only when the branches before it were not taken, so a span around the whole `if` would also stand for those, which make no call; a statement sharing its line would have to be split.\n\n## Example\n```python\n    on_text = lambda t: client.messages.create(model=m, messages=[t])\n```\n\nUse instead: a named function, whose call the tool then instruments.",
    ),
    notice(
        "VOF115",
        "llm-call-maybe-streaming",
        "An LLM call whose `stream=` is not written as a literal",
        "## What it does\nReports a call whose `stream=` argument comes from a variable, or which passes `**kwargs` that may hold it.\n\n## Why is this not rewritten?\nA non-streaming call is measured by a span around it; a streaming call must be measured until its stream is consumed. Which one this call is is known only at run time: either rewrite would be wrong half of the time (a stream's span would end before any token is read, with no usage).\n\n## Example\n```python\n    return await client.chat.completions.create(model=m, messages=msgs, stream=stream)\n```\n\nUse instead: two calls, `stream=True` and `stream=False`, each where it is consumed.",
    ),
    notice(
        "VOF116",
        "llm-client-unknown",
        "A provider SDK call on a client whose origin the code does not say",
        "## What it does\nReports a call only a provider SDK makes (`x.chat.completions.create(...)`, `x.responses.create(...)`, `x.models.generate_content(...)`, `x.converse(...)`, `x.chat.complete(...)`, and `x.messages.create(...)` where the module imports anthropic and not Twilio, or where its arguments are anthropic's: `max_tokens=` and `messages=`), on a client the tool cannot trace to its construction: a parameter not annotated with an SDK class, an attribute of an object made elsewhere, a name imported from a module the tool cannot read or that makes no client.\n\n## Why is this not rewritten?\nThe span and the token counters need the provider (and so how to read the usage): openai-shaped clients serve openai, groq, together, deepseek and more, and which one is decided where the client is made. The tool does not guess; it says so instead of passing the call over.\n\n## Example\n```python\ndef draft_sms(client, prompt: str) -> str:\n    return client.chat.completions.create(model=\"gpt-4o-mini\", messages=[...])\n```\n\nUse instead:\n```python\ndef draft_sms(client: OpenAI, prompt: str) -> str:\n    return client.chat.completions.create(model=\"gpt-4o-mini\", messages=[...])\n```\n(or make the client in the module: `client = OpenAI()`), then run the tool again.",
    ),
    notice(
        "VOF117",
        "llm-calls-mixed-in-one-statement",
        "LLM calls of different providers or models in one statement",
        "## What it does\nReports a statement holding several LLM calls whose providers or models differ (`await asyncio.gather(mistral.chat.complete_async(...), co.chat(...))`).\n\n## Why is this not rewritten?\nA call site's span wraps its statement: one span over both would carry the first call's provider and model, and read every response with the first provider's usage reader, so the other call's tokens would be lost or counted under the wrong model. Calls of one provider and model in a statement share a span, their tokens summed.\n\n## Example\n```python\n    a, b = await asyncio.gather(\n        mistral.chat.complete_async(model=\"mistral-small-latest\", messages=m),\n        co.chat(model=\"command-a-03-2025\", messages=m),\n    )\n```\n\nUse instead: a helper per call (`async def ask_mistral(m): ...`), gathered; each call then gets its own span.",
    ),
    notice(
        "VOF118",
        "azure-stream-usage-not-asked",
        "An Azure OpenAI stream that does not ask for its usage",
        "## What it does\nReports a streaming Chat Completions call on an Azure OpenAI client (`AzureOpenAI`, `AsyncAzureOpenAI`, or an openai client whose `base_url` is an `*.openai.azure.com` host) without `stream_options={\"include_usage\": True}`. The call is still wrapped in its span.\n\n## Why is this not rewritten?\nOn OpenAI and the openai-compatible vendors the tool adds `stream_options={\"include_usage\": True}` so that the last chunk carries the usage. Azure OpenAI accepts that argument only from api-version 2024-09-01-preview on; earlier api-versions, still widely pinned, answer `400 Unrecognized request argument supplied: stream_options`. The api-version is often read from configuration, so the tool cannot tell: it leaves the request as it is, and the stream's tokens are not counted.\n\n## Example\n```python\nclient = AsyncAzureOpenAI(api_version=\"2024-02-01\")\nstream = await client.chat.completions.create(model=deployment, messages=m, stream=True)\n```\n\nUse instead: with api-version 2024-09-01-preview or later, `stream_options={\"include_usage\": True}` in the call; the tool then reads the usage from the last chunk.",
    ),
    notice(
        "VOF121",
        "agent-session-usage-not-subscribable",
        "An AgentSession whose usage events cannot be subscribed to",
        "## What it does\nReports an `AgentSession(...)` that no name holds (passed straight to a call, stored in a container), or whose statement shares its line or does not start it.\n\n## Why is this not rewritten?\nThe framework's LLM turns are counted by a handler subscribed with `session.on(\"session_usage_updated\", ...)` right after the session is made: without a name to subscribe on, or a line of its own to add the subscription after, there is no safe place for it.\n\n## Example\n```python\n    await run(AgentSession(llm=openai.LLM(model=\"gpt-4o-mini\")))\n```\n\nUse instead:\n```python\n    session = AgentSession(llm=openai.LLM(model=\"gpt-4o-mini\"))\n    await run(session)\n```",
    ),
    notice(
        "VOF122",
        "agent-0x-usage-not-counted",
        "A livekit-agents 0.x agent whose LLM turns are not counted",
        "## What it does\nReports the construction of a livekit-agents 0.x agent: `VoicePipelineAgent(...)` (`VoiceAssistant`, its old name), `MultimodalAgent(...)`, whatever name it is imported under.\n\n## Why is this not rewritten?\nThe tool counts the framework's LLM turns with a handler on an `AgentSession` (livekit-agents 1.0 and later), whose usage events it knows and whose handlers the runtime tests run. A 0.x agent reports its turns differently (`agent.on(\"metrics_collected\")` hands the handler a `PipelineLLMMetrics` or `MultimodalLLMMetrics` itself), and the tool does not subscribe to it: without this report the session span would be added and the agent's tokens would be missing without a word.\n\n## Example\n```python\n    agent = VoicePipelineAgent(vad=silero.VAD.load(), stt=deepgram.STT(), llm=openai.LLM(), tts=openai.TTS())\n    agent.start(ctx.room, participant)\n```\n\nUse instead: move to `AgentSession` (livekit-agents 1.x) and run the tool again, or count the `prompt_tokens` / `completion_tokens` of the agent's `metrics_collected` LLM metrics into `llm.tokens.input` / `llm.tokens.output` with the same attributes by hand.",
    ),
    notice(
        "VOF130",
        "rust-streaming-llm-call",
        "A streaming LLM call in Rust",
        "## What it does\nReports a streaming provider call in Rust (async-openai's `create_stream`, `create_message_streaming`, genai's `exec_chat_stream`).\n\n## Why is this not rewritten?\nThe usage of a stream arrives with its last event, in the caller's loop over the stream: a span around the call would end before it. The tool does not follow the stream through Rust's types.\n\nUse instead: Add the span and the token counters where the stream ends, with the same attributes as the rewritten calls.",
    ),
    notice(
        "VOF131",
        "rust-llm-call-not-awaited-in-place",
        "A Rust LLM call that is not awaited where it is made",
        "## What it does\nReports a provider call whose future is not `.await`ed where it is built (`try_join!(a, b)`, a future stored and awaited later).\n\n## Why is this not rewritten?\nThe rewrite wraps the awaited expression so the span covers the request; a future awaited elsewhere runs after such a span has ended.\n\nUse instead: Await the call in place, or instrument it where it is awaited.",
    ),
    notice(
        "VOF132",
        "rust-missing-dependencies",
        "A crate manifest lacks what the inserted Rust code uses",
        "## What it does\nReports a `Cargo.toml` whose crate would get instrumented code but lacks `opentelemetry` (`opentelemetry = \"0.33\"`), or `tracing` where the file already uses `tracing` (the inserted code then records through it).\n\n## Why is this bad?\nThe rewritten crate would not build.\n\n## Fix\n`--add-deps` adds the missing lines to `[dependencies]` (once per manifest, however many files need them).",
    ),
    notice(
        "VOF133",
        "rust-llm-module-lacks-reader",
        "A Rust file's `voice_otel_llm` module lacks a reader a call needs",
        "## What it does\nReports an LLM call whose usage reader (one per provider API) is missing from the `voice_otel_llm` module the tool inserted earlier.\n\n## Why is this not rewritten?\nThe module is written once per file; the tool does not edit one that is already there.\n\nUse instead: Remove the module and run the tool again: it writes the module with every reader the file needs.",
    ),
    notice(
        "VOF134",
        "rust-outdated-opentelemetry",
        "A crate asks for an opentelemetry older than the inserted code needs",
        "## What it does\nReports a `Cargo.toml` whose `opentelemetry` requirement is older than 0.28.\n\n## Why is this bad?\nThe inserted code uses the 0.28+ API (`KeyValue`, `global::meter`, the builder methods, written against 0.33): the crate would not build.\n\nUse instead: Upgrade `opentelemetry` (and its exporter crates) to 0.28 or newer.",
    ),
    notice(
        "VOF900",
        "unparsable-file",
        "A file the tool cannot read as source",
        "## What it does\nReports a file that is not valid source (a syntax error CPython would report, invalid UTF-8 or a declared encoding that does not decode it, NUL bytes, nesting too deep to parse), or that cannot be read or was changed while the tool ran.\n\n## Why is this not rewritten?\nNothing is written to a file the tool cannot read wholly: it is left byte for byte as it is, and reported as `path:line:col: error: ...` (SARIF rule `VOF900`). Other files go on.",
    ),
];

/// The tool diagnostic with this code.
pub fn notice_for(code: &str) -> Option<Rule> {
    TOOL_DIAGNOSTICS.iter().copied().find(|d| d.code.eq_ignore_ascii_case(code))
}
