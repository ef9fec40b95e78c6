"""A loopback mock of the LLM provider HTTP APIs, for the real provider SDKs.

One ``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port) serves every provider.
Each provider gets its own path prefix, so OpenAI-shaped routes (openai, groq,
mistral, litellm) never collide and every response carries that provider's own
token numbers:

  /anthropic/v1/messages                         anthropic (JSON; SSE when "stream": true)
  /openai/v1/chat/completions                    openai chat (JSON; SSE, final usage chunk with "choices": [])
  /openai/v1/responses                           openai responses (JSON)
  /openai/v1/completions                         openai legacy text completions (JSON; SSE, final usage chunk with "choices": [])
  /groq/openai/v1/chat/completions               groq (JSON; SSE with usage in the last chunk's x_groq.usage)
  /google/v1[beta]/models/<m>:generateContent    google-genai (JSON)
  /google/v1[beta]/models/<m>:streamGenerateContent?alt=sse   (SSE)
  /mistral/v1/chat/completions                   mistral (JSON; SSE when "stream": true)
  /mistral/v1/fim/completions, /v1/agents/completions   mistral FIM and agents (as chat)
  /mistral/v1/conversations[/<id>]               mistral Conversations (beta): outputs and usage
  /cohere/v2/chat                                cohere v2 (JSON; SSE with message-end usage)
  /cohere/v1/chat                                cohere v1 (JSON with meta; newline-delimited JSON, stream-end usage)
  /cohere/v1/generate                            cohere v1 legacy generate (JSON with meta)
  /bedrock/model/<id>/converse                   bedrock-runtime Converse (JSON)
  /bedrock/model/<id>/converse-stream            bedrock-runtime ConverseStream (AWS event stream)
  /bedrock/model/<id>/invoke                     bedrock-runtime InvokeModel (usage in headers)
  /litellm/v1/chat/completions                   litellm's openai route (JSON)
  /framework/v1/chat/completions                 openai-shaped turns of a LiveKit AgentSession (livekit-plugins-openai):
                                                 request N answers FRAMEWORK_TURNS[N] (its own text and usage,
                                                 SSE with the final usage chunk); GET /framework/v1/models lists models

``env()`` gives the base-URL environment variables the fixtures read
(``FRAMEWORK_OPENAI_BASE_URL`` is the ``/framework/v1`` route, which the
framework fixtures read as their ``OPENAI_BASE_URL``).
Setting ``server.fail = True`` makes every route answer HTTP 500 (in the
provider's error shape). Every request is recorded in ``server.requests``.

The expected token counts (after the provider-specific normalisation the
instrumentation applies) are in ``EXPECTED``.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

# ---------------------------------------------------------------------------
# Token numbers (distinct per provider and per response kind)
# ---------------------------------------------------------------------------
ANTHROPIC = {
    # messages.create (JSON)
    "json": {"input_tokens": 11, "output_tokens": 21},
    # SSE: message_start carries input (and a provisional output of 1); message_delta the final output
    "sse": {"input_tokens": 12, "output_tokens": 22},
    # only reported when the request body uses "cache_control"
    "cache": {"cache_read_input_tokens": 31, "cache_creation_input_tokens": 41},
}
OPENAI = {
    "json": {"prompt_tokens": 101, "completion_tokens": 201, "cached_tokens": 51},
    "sse": {"prompt_tokens": 102, "completion_tokens": 202, "cached_tokens": 0},
    "responses": {"input_tokens": 103, "output_tokens": 203, "cached_tokens": 53},
    # legacy text completions (`client.completions.create`)
    "text": {"prompt_tokens": 104, "completion_tokens": 204},
    "text.sse": {"prompt_tokens": 105, "completion_tokens": 205},
}
GROQ = {
    "json": {"prompt_tokens": 301, "completion_tokens": 401},
    "sse": {"prompt_tokens": 302, "completion_tokens": 402},
}
GOOGLE = {
    # promptTokenCount includes cachedContentTokenCount
    "json": {"prompt": 501, "candidates": 601, "cached": 151, "thoughts": 0},
    "sse": {"prompt": 502, "candidates": 602, "cached": 0, "thoughts": 0},
}
MISTRAL_AGENT_MODEL = "mistral-small-latest"
MISTRAL = {
    "conversation": {"prompt_tokens": 703, "completion_tokens": 803},
    "json": {"prompt_tokens": 701, "completion_tokens": 801},
    "sse": {"prompt_tokens": 702, "completion_tokens": 802},
}
COHERE = {
    # usage.tokens are floats in cohere v2; billed_units differ on purpose
    # usage.cached_tokens: prompt tokens that hit the cache (counted as cache_read, already in input_tokens)
    "json": {"input_tokens": 901.0, "output_tokens": 1001.0, "billed_in": 9.0, "billed_out": 10.0, "cached": 55.0},
    "sse": {"input_tokens": 902.0, "output_tokens": 1002.0, "billed_in": 8.0, "billed_out": 7.0, "cached": 0.0},
    # v1: `meta` holds the same shape as v2's `usage`
    "v1.json": {"input_tokens": 911.0, "output_tokens": 1011.0, "billed_in": 6.0, "billed_out": 5.0, "cached": 33.0},
    "v1.stream": {"input_tokens": 912.0, "output_tokens": 1012.0, "billed_in": 4.0, "billed_out": 3.0, "cached": 0.0},
    "v1.generate": {"input_tokens": 913.0, "output_tokens": 1013.0, "billed_in": 2.0, "billed_out": 1.0, "cached": 0.0},
}
BEDROCK = {
    "json": {"inputTokens": 1101, "outputTokens": 1201, "cacheReadInputTokens": 1301, "cacheWriteInputTokens": 1401},
    "stream": {"inputTokens": 1111, "outputTokens": 1211, "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0},
    # InvokeModel: in the response headers (the body is the model's own format)
    "invoke": {"inputTokens": 1121, "outputTokens": 1221, "cacheReadInputTokens": 1321, "cacheWriteInputTokens": 1421},
}
LITELLM = {
    "json": {"prompt_tokens": 1501, "completion_tokens": 1601},
    "sse": {"prompt_tokens": 1502, "completion_tokens": 1602},
}


@dataclass(frozen=True)
class Tokens:
    input: int
    output: int
    cache_read: int = 0


def _anthropic_expected(kind: str, cache: bool) -> Tokens:
    base = ANTHROPIC[kind]
    read = ANTHROPIC["cache"]["cache_read_input_tokens"] if cache else 0
    write = ANTHROPIC["cache"]["cache_creation_input_tokens"] if cache else 0
    return Tokens(base["input_tokens"] + read + write, base["output_tokens"], read)


EXPECTED = {
    "anthropic.json": _anthropic_expected("json", cache=False),
    "anthropic.json.cache": _anthropic_expected("json", cache=True),
    "anthropic.sse": _anthropic_expected("sse", cache=False),
    "anthropic.sse.cache": _anthropic_expected("sse", cache=True),
    "openai.json": Tokens(OPENAI["json"]["prompt_tokens"], OPENAI["json"]["completion_tokens"], OPENAI["json"]["cached_tokens"]),
    "openai.sse": Tokens(OPENAI["sse"]["prompt_tokens"], OPENAI["sse"]["completion_tokens"], 0),
    "openai.text": Tokens(OPENAI["text"]["prompt_tokens"], OPENAI["text"]["completion_tokens"]),
    "openai.text.sse": Tokens(OPENAI["text.sse"]["prompt_tokens"], OPENAI["text.sse"]["completion_tokens"]),
    "openai.responses": Tokens(
        OPENAI["responses"]["input_tokens"], OPENAI["responses"]["output_tokens"], OPENAI["responses"]["cached_tokens"]
    ),
    "groq.json": Tokens(GROQ["json"]["prompt_tokens"], GROQ["json"]["completion_tokens"]),
    "groq.sse": Tokens(GROQ["sse"]["prompt_tokens"], GROQ["sse"]["completion_tokens"]),
    "google.json": Tokens(GOOGLE["json"]["prompt"], GOOGLE["json"]["candidates"], GOOGLE["json"]["cached"]),
    "google.sse": Tokens(GOOGLE["sse"]["prompt"], GOOGLE["sse"]["candidates"], 0),
    "mistral.json": Tokens(MISTRAL["json"]["prompt_tokens"], MISTRAL["json"]["completion_tokens"]),
    "mistral.conversation": Tokens(MISTRAL["conversation"]["prompt_tokens"], MISTRAL["conversation"]["completion_tokens"]),
    "mistral.sse": Tokens(MISTRAL["sse"]["prompt_tokens"], MISTRAL["sse"]["completion_tokens"]),
    "cohere.json": Tokens(
        int(COHERE["json"]["input_tokens"]), int(COHERE["json"]["output_tokens"]), int(COHERE["json"]["cached"])
    ),
    "cohere.sse": Tokens(int(COHERE["sse"]["input_tokens"]), int(COHERE["sse"]["output_tokens"])),
    "cohere.v1.json": Tokens(
        int(COHERE["v1.json"]["input_tokens"]), int(COHERE["v1.json"]["output_tokens"]), int(COHERE["v1.json"]["cached"])
    ),
    "cohere.v1.stream": Tokens(int(COHERE["v1.stream"]["input_tokens"]), int(COHERE["v1.stream"]["output_tokens"])),
    "cohere.v1.generate": Tokens(int(COHERE["v1.generate"]["input_tokens"]), int(COHERE["v1.generate"]["output_tokens"])),
    "bedrock.json": Tokens(
        BEDROCK["json"]["inputTokens"] + BEDROCK["json"]["cacheReadInputTokens"] + BEDROCK["json"]["cacheWriteInputTokens"],
        BEDROCK["json"]["outputTokens"],
        BEDROCK["json"]["cacheReadInputTokens"],
    ),
    "bedrock.stream": Tokens(BEDROCK["stream"]["inputTokens"], BEDROCK["stream"]["outputTokens"]),
    "bedrock.invoke": Tokens(
        BEDROCK["invoke"]["inputTokens"] + BEDROCK["invoke"]["cacheReadInputTokens"] + BEDROCK["invoke"]["cacheWriteInputTokens"],
        BEDROCK["invoke"]["outputTokens"],
        BEDROCK["invoke"]["cacheReadInputTokens"],
    ),
    "litellm.json": Tokens(LITELLM["json"]["prompt_tokens"], LITELLM["json"]["completion_tokens"]),
    "litellm.sse": Tokens(LITELLM["sse"]["prompt_tokens"], LITELLM["sse"]["completion_tokens"]),
}

# Framework-driven turns (AgentSession -> livekit-plugins-openai -> /framework/v1/chat/completions):
# the N-th request of a server answers FRAMEWORK_TURNS[N] (the last entry repeats), each with its own
# text and usage, so a test can tell the turns apart and catch a turn counted twice.
FRAMEWORK_TURNS = (
    {"text": ["Our mugs are", " twelve dollars each."], "prompt_tokens": 120, "completion_tokens": 30, "cached_tokens": 20},
    {"text": ["Yes, we ship", " to Canada."], "prompt_tokens": 260, "completion_tokens": 45, "cached_tokens": 100},
)

# Texts the mock answers with (per provider), so return values are checkable.
TEXT = {
    "anthropic": ["Sun", "ny mug"],
    "openai": ["Hello", " there"],
    "groq": ["Fast", " reply"],
    "google": ["Gem", "ini says hi"],
    "mistral": ["Bon", "jour"],
    "cohere": ["Co", "here"],
    "bedrock": ["Bed", "rock"],
    "litellm": ["Lite", "llm"],
}

ERROR_MESSAGE = "mock upstream failure"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    raw_headers: list[tuple[str, str]]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


def _sse(events, *, named: bool = False, done: bool = False) -> bytes:
    out = []
    for event in events:
        data = json.dumps(event, separators=(",", ":"))
        if named:
            out.append(f"event: {event['type']}\ndata: {data}\n\n")
        else:
            out.append(f"data: {data}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


# ---------------------------------------------------------------------------
# Provider response builders: (status, content_type, body bytes)
# ---------------------------------------------------------------------------
def _anthropic(body: dict) -> tuple[int, str, bytes]:
    model = body.get("model", "claude-unknown")
    cache = "cache_control" in json.dumps(body)
    cache_usage = dict(ANTHROPIC["cache"]) if cache else {"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    text = TEXT["anthropic"]
    if not body.get("stream"):
        usage = {**ANTHROPIC["json"], **cache_usage}
        msg = {
            "id": "msg_mock_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "".join(text)}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        return 200, "application/json", json.dumps(msg).encode()
    sse = ANTHROPIC["sse"]
    start_usage = {"input_tokens": sse["input_tokens"], "output_tokens": 1, **cache_usage}
    events = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_mock_2",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *[
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
            for piece in text
        ],
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            # cumulative totals, as the API sends them
            "usage": {"output_tokens": sse["output_tokens"], "input_tokens": sse["input_tokens"], **cache_usage},
        },
        {"type": "message_stop"},
    ]
    return 200, "text/event-stream", _sse(events, named=True)


def _chat_completion(provider: str, body: dict, numbers: dict, text: list[str] | None = None) -> tuple[int, str, bytes]:
    """openai-shaped chat completions for openai / groq / mistral / litellm (and framework turns)."""
    model = body.get("model", "unknown")
    if text is None:
        text = TEXT[provider]
    if not body.get("stream"):
        nums = numbers["json"]
        usage = {
            "prompt_tokens": nums["prompt_tokens"],
            "completion_tokens": nums["completion_tokens"],
            "total_tokens": nums["prompt_tokens"] + nums["completion_tokens"],
        }
        if "cached_tokens" in nums:
            usage["prompt_tokens_details"] = {"cached_tokens": nums["cached_tokens"], "audio_tokens": 0}
        resp = {
            "id": f"chatcmpl-{provider}-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(text)},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
        return 200, "application/json", json.dumps(resp).encode()

    nums = numbers["sse"]
    usage = {
        "prompt_tokens": nums["prompt_tokens"],
        "completion_tokens": nums["completion_tokens"],
        "total_tokens": nums["prompt_tokens"] + nums["completion_tokens"],
    }

    def chunk(delta, finish=None, **extra):
        return {
            "id": f"chatcmpl-{provider}-2",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in text]
    if provider == "groq":
        # groq: usage in the finishing chunk's x_groq
        events.append(chunk({}, "stop", x_groq={"id": "req_mock", "usage": usage}))
    elif provider == "mistral":
        # mistral: usage on the finishing chunk itself
        events.append(chunk({}, "stop", usage=usage))
    else:
        events.append(chunk({}, "stop"))
        include_usage = (body.get("stream_options") or {}).get("include_usage")
        if include_usage:
            if "cached_tokens" in nums:
                usage["prompt_tokens_details"] = {"cached_tokens": nums["cached_tokens"], "audio_tokens": 0}
            events.append(
                {
                    "id": f"chatcmpl-{provider}-2",
                    "object": "chat.completion.chunk",
                    "created": 1700000000,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
    return 200, "text/event-stream", _sse(events, done=True)


def _mistral_conversation(body: dict) -> tuple[int, str, bytes]:
    """mistral's Conversations API (beta): the reply's outputs and `usage`."""
    nums = MISTRAL["conversation"]
    resp = {
        "object": "conversation.response",
        "conversation_id": "conv-mock-1",
        "outputs": [
            {
                "object": "entry",
                "type": "message.output",
                "id": "msg-mock-1",
                "created_at": "2026-01-01T00:00:00Z",
                "role": "assistant",
                "content": "".join(TEXT["mistral"]),
            }
        ],
        "usage": {**nums, "total_tokens": nums["prompt_tokens"] + nums["completion_tokens"]},
    }
    return 200, "application/json", json.dumps(resp).encode()


def _text_completion(body: dict) -> tuple[int, str, bytes]:
    """openai's legacy text completions: `choices[].text`; streamed, the usage chunk only with `include_usage`."""
    model = body.get("model", "unknown")
    text = TEXT["openai"]

    def usage(nums):
        return {**nums, "total_tokens": nums["prompt_tokens"] + nums["completion_tokens"]}

    def completion(choices, **extra):
        return {"id": "cmpl-openai-1", "object": "text_completion", "created": 1700000000, "model": model, "choices": choices, **extra}

    if not body.get("stream"):
        choice = {"index": 0, "text": "".join(text), "finish_reason": "stop", "logprobs": None}
        return 200, "application/json", json.dumps(completion([choice], usage=usage(OPENAI["text"]))).encode()
    events = [completion([{"index": 0, "text": piece, "finish_reason": None, "logprobs": None}]) for piece in text]
    events.append(completion([{"index": 0, "text": "", "finish_reason": "stop", "logprobs": None}]))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(completion([], usage=usage(OPENAI["text.sse"])))
    return 200, "text/event-stream", _sse(events, done=True)


def _framework_turn(body: dict, index: int) -> tuple[int, str, bytes]:
    """One AgentSession LLM turn: openai-shaped, with FRAMEWORK_TURNS[index]'s text and usage."""
    turn = FRAMEWORK_TURNS[min(index, len(FRAMEWORK_TURNS) - 1)]
    nums = {k: turn[k] for k in ("prompt_tokens", "completion_tokens", "cached_tokens")}
    return _chat_completion("framework", body, {"json": nums, "sse": dict(nums)}, text=list(turn["text"]))


def _models() -> tuple[int, str, bytes]:
    """GET /v1/models (livekit-plugins-openai prewarms its connection with it)."""
    data = [{"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "mock"}]
    return 200, "application/json", json.dumps({"object": "list", "data": data}).encode()


def _openai_responses(body: dict) -> tuple[int, str, bytes]:
    nums = OPENAI["responses"]
    text = "".join(TEXT["openai"])
    resp = {
        "id": "resp_mock_1",
        "object": "response",
        "created_at": 1700000000,
        "status": "completed",
        "model": body.get("model", "unknown"),
        "output": [
            {
                "type": "message",
                "id": "msg_mock_r",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": nums["input_tokens"],
            "input_tokens_details": {"cached_tokens": nums["cached_tokens"]},
            "output_tokens": nums["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": nums["input_tokens"] + nums["output_tokens"],
        },
    }
    return 200, "application/json", json.dumps(resp).encode()


def _google(path: str, body: dict) -> tuple[int, str, bytes]:
    model = unquote(path.rsplit("/", 1)[-1].split(":", 1)[0])
    text = TEXT["google"]

    def usage(nums, candidates):
        out = {
            "promptTokenCount": nums["prompt"],
            "candidatesTokenCount": candidates,
            "totalTokenCount": nums["prompt"] + candidates,
        }
        if nums["cached"]:
            out["cachedContentTokenCount"] = nums["cached"]
        return out

    def response(parts_text, usage_metadata, finish=None):
        cand = {"content": {"role": "model", "parts": [{"text": parts_text}]}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        return {"candidates": [cand], "usageMetadata": usage_metadata, "modelVersion": model, "responseId": "g-mock"}

    if path.endswith(":generateContent"):
        nums = GOOGLE["json"]
        return 200, "application/json", json.dumps(response("".join(text), usage(nums, nums["candidates"]), "STOP")).encode()
    nums = GOOGLE["sse"]
    # every chunk carries usageMetadata; the candidates count grows, the last one is final
    events = [response(text[0], usage(nums, 3)), response(text[1], usage(nums, nums["candidates"]), "STOP")]
    return 200, "text/event-stream", _sse(events)


def _cohere_usage(nums: dict) -> dict:
    """v2's `usage`, and v1's `meta` (the same fields)."""
    return {
        "billed_units": {"input_tokens": nums["billed_in"], "output_tokens": nums["billed_out"]},
        "tokens": {"input_tokens": nums["input_tokens"], "output_tokens": nums["output_tokens"]},
        "cached_tokens": nums["cached"],
    }


def _cohere_v1_chat(body: dict) -> tuple[int, str, bytes]:
    """v1 chat: the reply's `meta`; streamed as newline-delimited JSON whose `stream-end` event holds the reply."""
    text = TEXT["cohere"]

    def reply(nums):
        return {
            "response_id": "cohere-v1-mock",
            "generation_id": "cohere-v1-gen",
            "text": "".join(text),
            "finish_reason": "COMPLETE",
            "chat_history": [],
            "meta": {"api_version": {"version": "1"}, **_cohere_usage(nums)},
        }

    if not body.get("stream"):
        return 200, "application/json", json.dumps(reply(COHERE["v1.json"])).encode()
    events = [
        {"is_finished": False, "event_type": "stream-start", "generation_id": "cohere-v1-gen"},
        *[{"is_finished": False, "event_type": "text-generation", "text": piece} for piece in text],
        {
            "is_finished": True,
            "event_type": "stream-end",
            "finish_reason": "COMPLETE",
            "response": reply(COHERE["v1.stream"]),
        },
    ]
    return 200, "application/stream+json", b"".join(json.dumps(e).encode() + b"\n" for e in events)


def _cohere_v1_generate(body: dict) -> tuple[int, str, bytes]:
    resp = {
        "id": "cohere-v1-generate",
        "prompt": body.get("prompt", ""),
        "generations": [{"id": "g1", "text": "".join(TEXT["cohere"]), "finish_reason": "COMPLETE"}],
        "meta": {"api_version": {"version": "1"}, **_cohere_usage(COHERE["v1.generate"])},
    }
    return 200, "application/json", json.dumps(resp).encode()


def _cohere(body: dict) -> tuple[int, str, bytes]:
    text = TEXT["cohere"]
    usage = _cohere_usage

    if not body.get("stream"):
        resp = {
            "id": "cohere-mock-1",
            "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "".join(text)}]},
            "usage": usage(COHERE["json"]),
        }
        return 200, "application/json", json.dumps(resp).encode()
    events = [
        {"type": "message-start", "id": "cohere-mock-2", "delta": {"message": {"role": "assistant", "content": []}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        *[
            {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": piece}}}}
            for piece in text
        ],
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage(COHERE["sse"])}},
    ]
    return 200, "text/event-stream", _sse(events, named=True)


def _bedrock(path: str, body: dict) -> tuple[int, str, bytes]:
    nums = BEDROCK["json"]
    resp = {
        "output": {"message": {"role": "assistant", "content": [{"text": "".join(TEXT["bedrock"])}]}},
        "stopReason": "end_turn",
        "usage": {**nums, "totalTokens": nums["inputTokens"] + nums["outputTokens"]},
        "metrics": {"latencyMs": 5},
    }
    return 200, "application/json", json.dumps(resp).encode()


def _bedrock_invoke(path: str, body: dict) -> tuple[int, str, bytes, dict[str, str]]:
    """InvokeModel: the model's own body (here anthropic's), the usage in headers only."""
    nums = BEDROCK["invoke"]
    resp = {"id": "msg_bdrk_1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "".join(TEXT["bedrock"])}]}
    headers = {
        "x-amzn-bedrock-input-token-count": str(nums["inputTokens"]),
        "x-amzn-bedrock-output-token-count": str(nums["outputTokens"]),
        "x-amzn-bedrock-cache-read-input-token-count": str(nums["cacheReadInputTokens"]),
        "x-amzn-bedrock-cache-write-input-token-count": str(nums["cacheWriteInputTokens"]),
    }
    return 200, "application/json", json.dumps(resp).encode(), headers


def _event_message(event_type: str, payload: dict) -> bytes:
    """One message of AWS's event stream encoding (`application/vnd.amazon.eventstream`), as botocore reads it:
    total and headers length, prelude CRC32, string headers, JSON payload, message CRC32."""
    headers = b""
    for name, value in ((":event-type", event_type), (":content-type", "application/json"), (":message-type", "event")):
        headers += bytes([len(name)]) + name.encode() + bytes([7]) + len(value).to_bytes(2, "big") + value.encode()
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = total.to_bytes(4, "big") + len(headers).to_bytes(4, "big")
    message = prelude + zlib.crc32(prelude).to_bytes(4, "big") + headers + body
    return message + zlib.crc32(message).to_bytes(4, "big")


def _bedrock_stream(path: str, body: dict) -> tuple[int, str, bytes]:
    nums = BEDROCK["stream"]
    events = [("messageStart", {"role": "assistant"})]
    events += [("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}) for piece in TEXT["bedrock"]]
    events += [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        (
            "metadata",
            {
                "usage": {
                    "inputTokens": nums["inputTokens"],
                    "outputTokens": nums["outputTokens"],
                    "totalTokens": nums["inputTokens"] + nums["outputTokens"],
                },
                "metrics": {"latencyMs": 5},
            },
        ),
    ]
    return 200, "application/vnd.amazon.eventstream", b"".join(_event_message(t, p) for t, p in events)


def _error(provider: str) -> tuple[int, str, bytes]:
    if provider == "anthropic":
        body = {"type": "error", "error": {"type": "api_error", "message": ERROR_MESSAGE}}
    elif provider == "google":
        body = {"error": {"code": 500, "message": ERROR_MESSAGE, "status": "INTERNAL"}}
    elif provider == "bedrock":
        body = {"message": ERROR_MESSAGE}
    elif provider == "cohere":
        body = {"message": ERROR_MESSAGE}
    elif provider == "mistral":
        body = {"object": "error", "message": ERROR_MESSAGE, "type": "internal_error", "code": "500"}
    else:
        body = {"error": {"message": ERROR_MESSAGE, "type": "server_error", "param": None, "code": None}}
    return 500, "application/json", json.dumps(body).encode()


# google-genai 3.x calls /v1/models/... by default (older releases: /v1beta/models/...)
_GOOGLE_MODELS = re.compile(r"^/v1(beta|alpha)?/models/[^/]+$")

PROVIDERS = ("anthropic", "openai", "groq", "google", "mistral", "cohere", "bedrock", "litellm", "framework")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MockLlmServer  # type: ignore[assignment]

    def date_time_string(self, timestamp=None):
        # fixed, so error messages that quote response headers (cohere) are reproducible
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, format, *args):  # noqa: A002 -- keep test output quiet
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _handle(self) -> None:
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        req = RecordedRequest(self.command, self.path, headers, list(self.headers.items()), body)
        with self.server.lock:
            self.server.requests.append(req)
        hold = self.server.hold
        if hold is not None:  # a test cancels the caller while the request is in flight
            hold.wait(timeout=10)
        status, ctype, payload, *extra = self._route(req)
        try:
            self._send(status, ctype, payload, extra[0] if extra else {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller was cancelled and hung up: nothing to answer

    def _send(self, status: int, ctype: str, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        self.close_connection = True

    def _route(self, req: RecordedRequest) -> tuple:
        path = urlsplit(req.path).path
        parts = path.lstrip("/").split("/", 1)
        provider, rest = parts[0], "/" + (parts[1] if len(parts) > 1 else "")
        if provider not in PROVIDERS:
            return 404, "application/json", b'{"error": "unknown provider prefix"}'
        if self.server.fail:
            return _error(provider)
        if provider == "framework" and req.method == "GET" and rest == "/v1/models":
            return _models()
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return 400, "application/json", b'{"error": "bad json"}'
        if provider == "anthropic" and rest == "/v1/messages":
            return _anthropic(body)
        if provider == "openai" and rest == "/v1/chat/completions":
            return _chat_completion("openai", body, OPENAI)
        if provider == "openai" and rest == "/v1/completions":
            return _text_completion(body)
        if provider == "openai" and rest == "/v1/responses":
            return _openai_responses(body)
        if provider == "groq" and rest == "/openai/v1/chat/completions":
            return _chat_completion("groq", body, GROQ)
        if provider == "google" and _GOOGLE_MODELS.match(rest) and (
            rest.endswith(":generateContent") or rest.endswith(":streamGenerateContent")
        ):
            return _google(rest, body)
        if provider == "mistral" and rest in ("/v1/chat/completions", "/v1/fim/completions"):
            return _chat_completion("mistral", body, MISTRAL)
        if provider == "mistral" and (rest == "/v1/conversations" or rest.startswith("/v1/conversations/")):
            return _mistral_conversation(body)
        if provider == "mistral" and rest == "/v1/agents/completions":
            # an agent's request names no model: the reply says the agent's
            return _chat_completion("mistral", {**body, "model": MISTRAL_AGENT_MODEL}, MISTRAL)
        if provider == "cohere" and rest == "/v2/chat":
            return _cohere(body)
        if provider == "cohere" and rest == "/v1/chat":
            return _cohere_v1_chat(body)
        if provider == "cohere" and rest == "/v1/generate":
            return _cohere_v1_generate(body)
        if provider == "bedrock" and rest.startswith("/model/") and rest.endswith("/converse"):
            return _bedrock(rest, body)
        if provider == "bedrock" and rest.startswith("/model/") and rest.endswith("/converse-stream"):
            return _bedrock_stream(rest, body)
        if provider == "bedrock" and rest.startswith("/model/") and rest.endswith("/invoke"):
            return _bedrock_invoke(rest, body)
        if provider == "litellm" and rest == "/v1/chat/completions":
            return _chat_completion("litellm", body, LITELLM)
        if provider == "framework" and rest == "/v1/chat/completions":
            with self.server.lock:
                index = self.server.framework_turns
                self.server.framework_turns += 1
            return _framework_turn(body, index)
        return 404, "application/json", json.dumps({"error": f"no mock route for {req.method} {path}"}).encode()

    do_POST = _handle
    do_GET = _handle


class MockLlmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.fail = False
        self.hold: threading.Event | None = None  # when set, each request waits for it before answering
        self.framework_turns = 0  # /framework/v1/chat/completions requests answered so far
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Environment variables the SDKs / fixtures read their base URL from."""
        b = self.base
        return {
            "ANTHROPIC_BASE_URL": f"{b}/anthropic",
            "ANTHROPIC_API_KEY": "sk-ant-mock",
            "OPENAI_BASE_URL": f"{b}/openai/v1",
            "OPENAI_API_KEY": "sk-openai-mock",
            "GROQ_BASE_URL": f"{b}/groq",
            "GROQ_API_KEY": "gsk-mock",
            "GOOGLE_GENAI_BASE_URL": f"{b}/google",
            "GOOGLE_API_KEY": "google-mock",
            "MISTRAL_BASE_URL": f"{b}/mistral",
            "MISTRAL_API_KEY": "mistral-mock",
            "COHERE_BASE_URL": f"{b}/cohere",
            "CO_API_KEY": "cohere-mock",
            "BEDROCK_ENDPOINT_URL": f"{b}/bedrock",
            "LITELLM_API_BASE": f"{b}/litellm/v1",
            "FRAMEWORK_OPENAI_BASE_URL": f"{b}/framework/v1",
        }

    def start(self) -> MockLlmServer:
        self._thread = threading.Thread(target=self.serve_forever, name="llm-mock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.framework_turns = 0
        self.fail = False
        if self.hold is not None:
            self.hold.set()
        self.hold = None
