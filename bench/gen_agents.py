#!/usr/bin/env python3
"""Generate a corpus of realistic LiveKit voice-agent Python files for benchmarking.

Each file (200-600 lines, deterministic for a given --seed and index) has:
  * imports: livekit.agents, livekit.plugins, and an anthropic and/or openai SDK client;
  * an ``Agent`` subclass with a few ``@function_tool`` methods;
  * module-level helpers awaited from ``async def entrypoint(ctx: JobContext)``,
    registered with ``cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))`` under
    ``if __name__ == "__main__":``;
  * 1-3 direct LLM calls (``client.messages.create(...)``,
    ``openai_client.chat.completions.create(...)``);
  * filler: dataclasses, enums, prompt strings, lookup tables and utility functions.

Usage: gen_agents.py [--count 2000] [--out DIR] [--seed 1234]
Files are written as DIR/<domain>_<index>/agent.py. Existing identical files are not rewritten.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

DOMAINS = {
    "restaurant": {
        "brand": ["Bella Napoli", "The Copper Pot", "Saffron House", "Blue Fin Sushi", "Casa Verde"],
        "items": ["margherita pizza", "caesar salad", "garlic bread", "tiramisu", "pad thai", "ramen", "tacos al pastor", "falafel wrap"],
        "entity": "order",
        "verbs": ["add_item", "remove_item", "confirm_order", "check_hours", "book_table", "list_specials"],
    },
    "clinic": {
        "brand": ["Riverside Clinic", "Maple Family Practice", "Northgate Health", "Oakwood Medical"],
        "items": ["checkup", "flu shot", "blood test", "physiotherapy", "x-ray", "consultation", "vaccination"],
        "entity": "appointment",
        "verbs": ["book_appointment", "cancel_appointment", "check_availability", "refill_prescription", "verify_insurance"],
    },
    "bank": {
        "brand": ["First Harbor Bank", "Summit Credit Union", "Pioneer Savings", "Granite Trust"],
        "items": ["checking account", "savings account", "credit card", "mortgage", "auto loan", "wire transfer"],
        "entity": "request",
        "verbs": ["check_balance", "report_lost_card", "list_transactions", "schedule_callback", "dispute_charge"],
    },
    "hotel": {
        "brand": ["Harborview Hotel", "The Alpine Lodge", "Seaside Suites", "Grand Meridian"],
        "items": ["king room", "twin room", "suite", "late checkout", "airport shuttle", "spa package", "breakfast"],
        "entity": "reservation",
        "verbs": ["book_room", "modify_reservation", "request_amenity", "check_rates", "cancel_reservation"],
    },
    "airline": {
        "brand": ["SkyBridge Air", "Northwind Airlines", "Coastal Jet", "Aurora Airways"],
        "items": ["economy seat", "extra legroom", "checked bag", "lounge pass", "priority boarding", "meal upgrade"],
        "entity": "booking",
        "verbs": ["check_flight_status", "change_seat", "rebook_flight", "add_baggage", "lookup_booking"],
    },
    "telecom": {
        "brand": ["Lumen Mobile", "Zephyr Telecom", "BrightLink", "Crest Wireless"],
        "items": ["unlimited plan", "data add-on", "international pack", "device protection", "fiber 500", "fiber 1000"],
        "entity": "ticket",
        "verbs": ["check_outage", "upgrade_plan", "reset_router", "explain_bill", "port_number"],
    },
    "realestate": {
        "brand": ["Keystone Realty", "Willow Homes", "Urban Nest", "Cedar & Stone"],
        "items": ["two-bedroom condo", "family house", "studio", "townhouse", "open house", "valuation"],
        "entity": "viewing",
        "verbs": ["schedule_viewing", "list_properties", "estimate_mortgage", "register_interest", "cancel_viewing"],
    },
    "pharmacy": {
        "brand": ["CarePlus Pharmacy", "Green Cross Drugs", "Main Street Chemist", "WellPoint Rx"],
        "items": ["amoxicillin", "ibuprofen", "insulin pens", "allergy tablets", "blood pressure monitor", "vitamin d"],
        "entity": "prescription",
        "verbs": ["refill_prescription", "check_stock", "transfer_prescription", "check_interactions", "schedule_pickup"],
    },
    "helpdesk": {
        "brand": ["Acme IT Services", "ByteShield Support", "Orbit Helpdesk", "Nimbus Cloud"],
        "items": ["password reset", "vpn access", "laptop repair", "email quota", "software license", "printer setup"],
        "entity": "ticket",
        "verbs": ["open_ticket", "check_ticket_status", "reset_password", "escalate_ticket", "list_known_issues"],
    },
    "autoshop": {
        "brand": ["Precision Auto", "Redline Garage", "Midtown Motors", "Torque & Tire"],
        "items": ["oil change", "brake pads", "tire rotation", "battery replacement", "inspection", "wheel alignment"],
        "entity": "service",
        "verbs": ["book_service", "get_quote", "check_repair_status", "list_services", "cancel_service"],
    },
}

CLAUDE_MODELS = ["claude-sonnet-4-5", "claude-3-5-haiku-latest", "claude-opus-4-1", "claude-haiku-4-5"]
OPENAI_MODELS = ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4o", "gpt-4.1"]
ADJ = ["quick", "detailed", "friendly", "formal", "concise", "structured", "daily", "pending", "active", "archived"]
NOUNS = ["note", "record", "entry", "profile", "summary", "slot", "quote", "window", "policy", "event",
         "metric", "contact", "address", "schedule", "preference", "reminder", "survey", "feedback", "invoice", "rule"]
LLM_USES = [
    ("summarize_call", "Summarize this phone call for the {brand} team in three bullet points."),
    ("classify_intent", "Classify the caller's intent as one of: {labels}. Reply with the label only."),
    ("draft_followup_email", "Write a short, polite follow-up email to the caller about their {entity}."),
    ("extract_details", "Extract the caller's name, phone number and {entity} details as JSON."),
    ("translate_reply", "Translate the following reply into the caller's language, keeping it short."),
    ("score_sentiment", "How does the caller feel? One word: calm, frustrated, or angry."),
    ("rewrite_for_speech", "Rewrite this text so that it sounds natural when read aloud on the phone."),
    ("suggest_upsell", "Suggest one relevant add-on from the {brand} catalogue, in one sentence."),
]


class Gen:
    def __init__(self, rng: random.Random, domain: str) -> None:
        self.rng = rng
        self.domain = domain
        self.d = DOMAINS[domain]
        self.brand = rng.choice(self.d["brand"])
        self.used: set[str] = set()
        self.lines: list[str] = []
        self.sync_utils: list[tuple[str, str]] = []  # (name, arg kind)

    def name(self, base: str) -> str:
        n = base
        i = 2
        while n in self.used:
            n = f"{base}_{i}"
            i += 1
        self.used.add(n)
        return n

    def camel(self, s: str) -> str:
        return "".join(p.capitalize() for p in s.replace("-", "_").split("_"))

    # ----------------------------------------------------------------- filler
    def prompt_constant(self) -> list[str]:
        r = self.rng
        nm = self.name(f"{r.choice(ADJ).upper()}_{r.choice(NOUNS).upper()}_PROMPT")
        sentences = [
            f"You are the voice assistant for {self.brand}.",
            "Keep answers under two sentences; the caller is on the phone.",
            f"Never invent {self.d['entity']} numbers, prices or times.",
            "If the caller asks for a human, offer to transfer them.",
            "Confirm spelling of names and email addresses letter by letter.",
            "Read numbers digit by digit, and dates as weekday, day and month.",
            f"Our services include: {', '.join(r.sample(self.d['items'], 3))}.",
            "Do not mention that you are an AI unless asked directly.",
            "Be warm, but do not repeat the caller's question back to them.",
        ]
        chosen = r.sample(sentences, r.randint(3, 7))
        out = [f"{nm} = ("]
        out += [f'    "{s} "' for s in chosen[:-1]]
        out.append(f'    "{chosen[-1]}"')
        out.append(")")
        return out

    def table_constant(self) -> list[str]:
        r = self.rng
        nm = self.name(f"{self.d['entity'].upper()}_{r.choice(['PRICES', 'DURATIONS', 'LIMITS', 'CODES'])}")
        out = [f"{nm}: dict[str, float] = {{"]
        for item in r.sample(self.d["items"], r.randint(3, len(self.d["items"]))):
            out.append(f'    "{item}": {r.randint(1, 400) + r.choice([0, 0.5, 0.25, 0.99]):.2f},')
        out.append("}")
        return out

    def enum_class(self) -> list[str]:
        r = self.rng
        nm = self.name(self.camel(f"{r.choice(NOUNS)}_{r.choice(['status', 'kind', 'priority', 'channel'])}"))
        vals = r.sample(["new", "open", "pending", "confirmed", "cancelled", "done", "failed", "low", "high", "urgent", "sms", "email", "voice"], r.randint(3, 6))
        out = [f"class {nm}(str, Enum):"]
        out += [f'    {v.upper()} = "{v}"' for v in vals]
        out += ["", "    @classmethod", f"    def parse(cls, raw: str) -> \"{nm}\":",
                "        try:", "            return cls(raw.strip().lower())", "        except ValueError:",
                f"            return cls.{vals[0].upper()}"]
        return out

    def dataclass(self) -> list[str]:
        r = self.rng
        base = f"{r.choice(ADJ)}_{r.choice(NOUNS)}"
        nm = self.name(self.camel(base))
        fields = r.sample([
            ("caller_id", "str", '""'), ("phone", "str", '""'), ("email", "str | None", "None"),
            ("created_at", "datetime", "field(default_factory=datetime.utcnow)"),
            ("notes", "list[str]", "field(default_factory=list)"),
            ("attempts", "int", "0"), ("amount", "float", "0.0"), ("confirmed", "bool", "False"),
            ("tags", "set[str]", "field(default_factory=set)"),
            ("metadata", "dict[str, Any]", "field(default_factory=dict)"),
            ("language", "str", '"en"'), ("priority", "int", "3"),
        ], r.randint(3, 7))
        out = ["@dataclass", f"class {nm}:"]
        for f, t, dflt in fields:
            out.append(f"    {f}: {t} = {dflt}")
        out += ["", "    def to_dict(self) -> dict[str, Any]:", "        return {"]
        for f, t, _ in fields:
            if t == "datetime":
                out.append(f'            "{f}": self.{f}.isoformat(),')
            elif t.startswith("set"):
                out.append(f'            "{f}": sorted(self.{f}),')
            else:
                out.append(f'            "{f}": self.{f},')
        out.append("        }")
        out += ["", "    def describe(self) -> str:",
                "        parts = [f\"{key}={value!r}\" for key, value in self.to_dict().items() if value]",
                f'        return "{nm}(" + ", ".join(parts) + ")"']
        if any(f == "attempts" for f, _, _ in fields):
            out += ["", "    def bump(self) -> int:", "        self.attempts += 1", "        return self.attempts"]
        return out

    def util_function(self) -> list[str]:
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            nm = self.name(f"_normalize_{r.choice(NOUNS)}")
            self.sync_utils.append((nm, "str"))
            return [
                f"def {nm}(raw: str) -> str:",
                '    """Lower-case, trim and collapse whitespace so lookups are stable."""',
                "    cleaned = re.sub(r\"\\s+\", \" \", raw or \"\").strip().lower()",
                f"    if len(cleaned) > {r.randint(40, 200)}:",
                f"        cleaned = cleaned[:{r.randint(40, 200)}]",
                "    return cleaned",
            ]
        if kind == 1:
            nm = self.name(f"_format_{r.choice(NOUNS)}_list")
            self.sync_utils.append((nm, "list"))
            return [
                f"def {nm}(values: list[str], limit: int = {r.randint(3, 10)}) -> str:",
                "    if not values:",
                f'        return "{r.choice(["nothing yet", "none", "no items"])}"',
                "    shown = values[:limit]",
                "    text = \", \".join(shown[:-1])",
                "    if len(shown) > 1:",
                "        text += f\" and {shown[-1]}\"",
                "    else:",
                "        text = shown[0]",
                "    if len(values) > limit:",
                "        text += f\", plus {len(values) - limit} more\"",
                "    return text",
            ]
        if kind == 2:
            nm = self.name(f"_parse_{r.choice(NOUNS)}_date")
            self.sync_utils.append((nm, "str"))
            return [
                f"def {nm}(spoken: str, today: date | None = None) -> date | None:",
                '    """Turn "today", "tomorrow", "next friday" or an ISO date into a date."""',
                "    today = today or date.today()",
                "    text = spoken.strip().lower()",
                '    if text in ("today", "tonight"):',
                "        return today",
                '    if text == "tomorrow":',
                "        return today + timedelta(days=1)",
                "    weekdays = [\"monday\", \"tuesday\", \"wednesday\", \"thursday\", \"friday\", \"saturday\", \"sunday\"]",
                "    for index, day in enumerate(weekdays):",
                "        if day in text:",
                "            delta = (index - today.weekday()) % 7 or 7",
                "            return today + timedelta(days=delta)",
                "    try:",
                "        return date.fromisoformat(text)",
                "    except ValueError:",
                "        return None",
            ]
        if kind == 3:
            nm = self.name(f"_validate_{r.choice(['phone', 'email', 'postcode', 'account_number', 'member_id'])}")
            self.sync_utils.append((nm, "str"))
            pat = r.choice([r"^\+?[0-9]{7,15}$", r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", r"^[A-Z0-9]{5,8}$", r"^[0-9]{8,12}$"])
            return [
                f"def {nm}(value: str) -> bool:",
                f"    pattern = re.compile(r\"{pat}\", re.IGNORECASE)",
                "    candidate = value.replace(\" \", \"\").replace(\"-\", \"\")",
                "    if not candidate:",
                "        return False",
                "    return bool(pattern.match(candidate))",
            ]
        if kind == 4:
            nm = self.name(f"_price_{r.choice(['quote', 'estimate', 'total', 'breakdown'])}")
            self.sync_utils.append((nm, "list"))
            tax = r.choice([0.05, 0.07, 0.0825, 0.1, 0.2])
            return [
                f"def {nm}(items: list[str], discount: float = 0.0) -> tuple[float, str]:",
                "    subtotal = 0.0",
                "    lines = []",
                "    for item in items:",
                f"        price = {r.randint(5, 90)}.0 + len(item) * {r.choice([0.25, 0.5, 1.0])}",
                "        subtotal += price",
                "        lines.append(f\"{item}: ${price:.2f}\")",
                f"    tax = round(subtotal * {tax}, 2)",
                "    total = max(0.0, subtotal + tax - discount)",
                "    lines.append(f\"tax: ${tax:.2f}\")",
                "    lines.append(f\"total: ${total:.2f}\")",
                "    return total, \"\\n\".join(lines)",
            ]
        nm = self.name(f"_load_{r.choice(NOUNS)}_config")
        self.sync_utils.append((nm, "none"))
        env = f"{self.domain.upper()}_{r.choice(NOUNS).upper()}_CONFIG"
        return [
            f"def {nm}() -> dict[str, Any]:",
            f'    path = os.environ.get("{env}", "config/{self.domain}.json")',
            "    try:",
            "        with open(path, encoding=\"utf-8\") as handle:",
            "            data = json.load(handle)",
            "    except (OSError, json.JSONDecodeError) as exc:",
            "        logger.warning(\"could not read %s: %s\", path, exc)",
            "        data = {}",
            f'    data.setdefault("timezone", "{r.choice(["Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Berlin"])}")',
            f'    data.setdefault("max_turns", {r.randint(10, 60)})',
            "    return data",
        ]

    def filler_block(self) -> list[str]:
        r = self.rng
        pick = r.choices(["prompt", "table", "enum", "dataclass", "util"], weights=[2, 2, 1, 3, 5])[0]
        return {"prompt": self.prompt_constant, "table": self.table_constant, "enum": self.enum_class,
                "dataclass": self.dataclass, "util": self.util_function}[pick]()


def llm_call(g: Gen, provider: str, use: tuple[str, str]) -> list[str]:
    r = g.rng
    fname, system = use
    system = system.format(brand=g.brand, entity=g.d["entity"], labels=", ".join(g.d["verbs"][:4]))
    fn = g.name(f"_{fname}")
    out = []
    if provider == "anthropic":
        model = r.choice(CLAUDE_MODELS)
        out += [
            f"async def {fn}(transcript: str) -> str:",
            f"    response = await client.messages.create(",
            f'        model="{model}",',
            f"        max_tokens={r.choice([60, 120, 200, 400, 800])},",
            f'        system="{system}",',
            '        messages=[{"role": "user", "content": transcript}],',
            "    )",
            "    if not response.content:",
            '        return ""',
            "    return response.content[0].text.strip()",
        ]
    else:
        model = r.choice(OPENAI_MODELS)
        out += [
            f"async def {fn}(transcript: str) -> str:",
            "    response = await openai_client.chat.completions.create(",
            f'        model="{model}",',
            f"        temperature={r.choice([0, 0.2, 0.5, 0.7])},",
            "        messages=[",
            f'            {{"role": "system", "content": "{system}"}},',
            '            {"role": "user", "content": transcript},',
            "        ],",
            "    )",
            '    return (response.choices[0].message.content or "").strip()',
        ]
    return out, fn


def render(index: int, seed: int) -> tuple[str, str]:
    rng = random.Random(seed * 1_000_003 + index)
    domain = rng.choice(sorted(DOMAINS))
    g = Gen(rng, domain)
    target = rng.randint(200, 575)
    d = g.d
    entity = d["entity"]
    providers = rng.choice([["anthropic"], ["openai"], ["anthropic", "openai"]])
    tts_plugin = rng.choice(["cartesia", "elevenlabs", "openai"])
    use_nc = rng.random() < 0.4
    plugins = sorted({"silero", "deepgram", "openai", tts_plugin} | ({"noise_cancellation"} if use_nc else set()))
    agent_cls = g.name(g.camel(f"{domain}_{rng.choice(['assistant', 'agent', 'receptionist', 'concierge'])}"))
    state_cls = g.name(g.camel(f"{entity}_state"))
    logger_name = f"{domain}-agent-{index}"

    def build_head(code: str) -> list[str]:
        dt_names = [n for n in ("date", "datetime", "timedelta") if re.search(rf"\b{n}\b[.(]|: {n}\b|-> {n}\b|\| {n}\b| {n} \|", code)]
        head = [
            f"# {g.brand}: inbound voice agent for {domain} calls (generated benchmark corpus, #{index})",
            '"""LiveKit voice agent that answers the phone for ' + g.brand + '."""',
            "from __future__ import annotations",
            "",
        ]
        for mod in ("asyncio", "json", "logging", "os", "re"):
            if mod == "logging" or re.search(rf"\b{mod}\.", code):
                head.append(f"import {mod}")
        head.append("from dataclasses import dataclass, field")
        if dt_names:
            head.append(f"from datetime import {', '.join(dt_names)}")
        if "(str, Enum)" in code:
            head.append("from enum import Enum")
        head += ["from typing import Any", ""]
        if "anthropic" in providers:
            head.append("from anthropic import AsyncAnthropic")
        head.append("from dotenv import load_dotenv")
        lk = ["Agent", "AgentSession", "JobContext", "JobProcess"]
        if use_nc:
            lk.append("RoomInputOptions")
        lk += ["RunContext", "WorkerOptions", "cli", "function_tool"]
        head += ["from livekit.agents import ("] + [f"    {n}," for n in lk] + [")"]
        head.append(f"from livekit.plugins import {', '.join(plugins)}")
        if "openai" in providers:
            head.append("from openai import AsyncOpenAI")
        head += ["", "load_dotenv()", f'logger = logging.getLogger("{logger_name}")', ""]
        if "anthropic" in providers:
            head.append('client = AsyncAnthropic(api_key=os.environ.get("ANTHROPIC_API_KEY"))')
        if "openai" in providers:
            head.append("openai_client = AsyncOpenAI()")
        return head

    head = build_head("os.")  # size estimate only; rebuilt from the final code below
    blocks: list[list[str]] = []
    blocks.append(g.table_constant())
    blocks.append(g.prompt_constant())
    blocks.append([
        "@dataclass",
        f"class {state_cls}:",
        "    caller_name: str | None = None",
        "    items: list[str] = field(default_factory=list)",
        "    transcript: list[tuple[str, str]] = field(default_factory=list)",
        "    escalated: bool = False",
        "",
        "    def remember(self, speaker: str, text: str) -> None:",
        "        self.transcript.append((speaker, text))",
        "",
        "    def transcript_text(self) -> str:",
        '        return "\\n".join(f"{speaker}: {text}" for speaker, text in self.transcript)',
    ])
    # LLM helpers: 1-3 direct calls
    n_calls = rng.randint(1, 3)
    uses = rng.sample(LLM_USES, n_calls)
    llm_fns = []
    for i, use in enumerate(uses):
        prov = providers[i % len(providers)]
        body, fn = llm_call(g, prov, use)
        blocks.append(body)
        llm_fns.append(fn)

    # Agent subclass with function tools
    tools = rng.sample(d["verbs"], rng.randint(2, min(4, len(d["verbs"]))))
    catalogue = f"{entity.upper()}_CATALOGUE"
    g.used.add(catalogue)
    blocks.append([f"{catalogue} = {sorted(rng.sample(d['items'], min(5, len(d['items']))))!r}"])
    agent = [
        f"class {agent_cls}(Agent):",
        "    def __init__(self, caller_name: str | None = None) -> None:",
        "        greeting = f\" The caller's name is {caller_name}.\" if caller_name else \"\"",
        "        super().__init__(",
        "            instructions=(",
        f'                "You answer the phone for {g.brand}. Be warm and brief. "',
        f'                "You can help with: " + ", ".join({catalogue}) + "." + greeting',
        "            )",
        "        )",
    ]
    for t_i, tool in enumerate(tools):
        argname = rng.choice(["item", "reference", "detail"])
        agent += [
            "",
            "    @function_tool",
            f"    async def {tool}(self, context: RunContext[{state_cls}], {argname}: str) -> str:",
            f'        """{tool.replace("_", " ").capitalize()} for the caller.',
            "",
            "        Args:",
            f"            {argname}: The {entity} detail the caller gave, as they said it.",
            '        """',
        ]
        agent += [
            "        state = context.userdata",
            f'        state.remember("tool", f"{tool}: {{{argname}}}")',
            f"        wanted = {argname}.strip().lower()",
            f"        matches = [entry for entry in {catalogue} if wanted in entry]",
            "        if not matches:",
            f'            return f"Sorry, I could not find {{{argname}}}. We offer " + ", ".join({catalogue}) + "."',
            "        state.items.extend(matches[:1])",
        ]
        if t_i == 0 and llm_fns:
            agent += [
                f"        note = await {llm_fns[0]}(state.transcript_text())",
                '        logger.info("tool note: %s", note)',
            ]
        agent.append(f'        return f"Done: {{matches[0]}}. You now have {{len(state.items)}} item(s) on this {entity}."')
    blocks.append(agent)

    # helpers awaited from the entrypoint
    greet = g.name(rng.choice(["_deliver_initial_greeting", "_greet_caller", "_send_welcome"]))
    profile = g.name(rng.choice(["_load_caller_profile", "_fetch_customer", "_lookup_caller"]))
    wrap = g.name(rng.choice(["_finish_call", "_wrap_up_call", "_post_call_summary"]))
    helpers = [
        f"async def {profile}(ctx: JobContext) -> dict[str, Any]:",
        '    metadata = json.loads(ctx.job.metadata or "{}")',
        f"    await asyncio.sleep({rng.choice(['0', '0.01', '0.05'])})",
        '    return {"name": metadata.get("caller_name"), "tier": metadata.get("tier", "standard")}',
        "",
        "",
        f"async def {greet}(session: AgentSession[{state_cls}], caller_name: str | None) -> None:",
        '    name_part = f" {caller_name}" if caller_name else ""',
        "    await session.generate_reply(",
        f'        instructions=f"Greet the caller{{name_part}}, thank them for calling {g.brand} and ask how you can help."',
        "    )",
        "",
        "",
        f"async def {wrap}(state: {state_cls}) -> None:",
        "    if not state.transcript:",
        "        return",
    ]
    for fn in llm_fns[1:] or llm_fns:
        helpers.append(f"    result = await {fn}(state.transcript_text())")
        helpers.append(f'    logger.info("{fn.strip("_")}: %s", result)')
    helpers += [
        "",
        "",
        "def prewarm(proc: JobProcess) -> None:",
        '    proc.userdata["vad"] = silero.VAD.load()',
    ]
    tts = f"{tts_plugin}.TTS()"
    entry = [
        "async def entrypoint(ctx: JobContext) -> None:",
        "    await ctx.connect()",
        '    logger.info("call started in room %s", ctx.room.name)',
        f"    profile = await {profile}(ctx)",
        f"    state = {state_cls}(caller_name=profile[\"name\"])",
        f"    session = AgentSession[{state_cls}](",
        "        userdata=state,",
        f'        stt=deepgram.STT(model="{rng.choice(["nova-3", "nova-2-phonecall"])}"),',
        f'        llm=openai.LLM(model="{rng.choice(OPENAI_MODELS)}"),',
        f"        tts={tts},",
        '        vad=ctx.proc.userdata["vad"],',
        "    )",
        "",
        "    async def on_shutdown() -> None:",
        f"        await {wrap}(state)",
        "",
        "    ctx.add_shutdown_callback(on_shutdown)",
        f"    await session.start(agent={agent_cls}(profile[\"name\"]), room=ctx.room"
        + (", room_input_options=RoomInputOptions(noise_cancellation=noise_cancellation.BVC()))" if use_nc else ")"),
        f"    await {greet}(session, profile[\"name\"])",
    ]
    tail = ["", "", 'if __name__ == "__main__":',
            "    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm))"]

    def total(bs: list[list[str]]) -> int:
        return len(head) + sum(len(b) + 2 for b in bs) + len(helpers) + len(entry) + len(tail) + 4

    # filler before the agent class (after LLM helpers) until the target size
    fillers: list[list[str]] = []
    while total(blocks + fillers) < target:
        fillers.append(g.filler_block())
    # use some of the sync utilities from tools / helpers so the code hangs together
    if g.sync_utils:
        name, kind = rng.choice(g.sync_utils)
        arg = {"str": "profile[\"tier\"] or \"\"", "list": "state.items", "none": ""}[kind]
        entry.insert(5, f"    logger.debug(\"prepared %s\", {name}({arg}))")
    # interleave: constants/dataclasses first half, utilities later
    split = len(fillers) // 2
    body = blocks[:3] + fillers[:split] + blocks[3:-1] + fillers[split:] + blocks[-1:]
    out: list[str] = []
    for b in body:
        out += ["", ""] + b
    out += ["", ""] + helpers + ["", ""] + entry + tail
    code = "\n".join(out)
    out = build_head(code + "\n".join(head)) + out
    return f"{domain}_{index:05d}", "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--out", type=Path, default=Path("target/bench/agents"))
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--start", type=int, default=0, help="first index (to take a different slice)")
    a = p.parse_args(argv)
    written = 0
    lines = 0
    for i in range(a.start, a.start + a.count):
        name, text = render(i, a.seed)
        path = a.out / name / "agent.py"
        lines += text.count("\n")
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written += 1
    print(f"gen_agents: {a.count} files under {a.out} ({written} written, {lines} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
