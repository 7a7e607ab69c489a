"""Programmatic requests that fill the corpus's known gaps.

The public sources have almost no translation, rewriting, formatting, extraction or
classification requests (light), few planning or comparison requests (intermediate), and little
code, system design or engineering (advanced). This module builds such requests in two ways:

* *wrappers* around real text already in the corpus: "Translate this into German: <a Dolly
  context>", "Classify this question by subject: <an olympiad problem>". The tier follows the
  instruction, not the wrapped text: translating a hard problem is still a light request. Each
  wrapper is a sibling of the source item and carries its group, so siblings never straddle
  the train/test split.
* *compositions* of hand-picked parts (algorithms x languages x constraints, systems x scales,
  options x criteria) for intermediate and advanced requests, each its own group.

Everything is deterministic given the ``random.Random`` passed in.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Generated:
    text: str
    tier: str
    category: str
    lang: str
    group: str | None  # group of the wrapped source item; None for compositions


# --- wrappers: the tier follows the instruction -------------------------------------------------

_TRANSLATE: dict[str, tuple[Sequence[str], Sequence[str]]] = {
    "en": (
        (
            "Translate this paragraph into {target}:\n\n{text}",
            "Translate to {target}: {text}",
            "Can you translate the following into {target}, keeping the tone?\n\n{text}",
            'Please translate the text below into {target}.\n"""\n{text}\n"""',
            "{target} translation please:\n{text}",
            "how do you say this in {target}? {text}",
        ),
        ("German", "French", "Spanish", "Italian", "Portuguese", "Japanese", "Dutch", "Polish"),
    ),
    "fr": (
        (
            "Traduis ce texte en {target} :\n\n{text}",
            "Peux-tu traduire ceci en {target} ?\n{text}",
            "Traduction en {target} s'il te plaît : {text}",
        ),
        ("anglais", "allemand", "espagnol", "italien"),
    ),
    "de": (
        (
            "Übersetze den folgenden Text ins {target}:\n\n{text}",
            "Bitte auf {target} übersetzen: {text}",
        ),
        ("Englische", "Französische", "Spanische"),
    ),
    "es": (
        ("Traduce el siguiente texto al {target}:\n\n{text}", "¿Puedes traducir esto al {target}? {text}"),
        ("inglés", "francés", "alemán"),
    ),
    "it": (("Traduci in {target} il seguente testo:\n{text}",), ("inglese", "francese")),
    "pt": (("Traduza para o {target}: {text}",), ("inglês", "espanhol")),
}

_LIGHT_EDITS: dict[str, dict[str, Sequence[str]]] = {
    "grammar_fix": {
        "en": (
            "Fix the grammar and spelling:\n{text}",
            "Proofread this and correct any mistakes: {text}",
            "can u fix the typos in this\n\n{text}",
            "Correct the spelling errors in the following text. Only return the corrected text.\n\n{text}",
        ),
        "fr": ("Corrige les fautes d'orthographe et de grammaire : {text}",),
        "de": ("Korrigiere bitte die Rechtschreibung: {text}",),
        "es": ("Corrige la gramática de este texto: {text}",),
    },
    "rewrite": {
        "en": (
            "Rewrite this in a more formal tone:\n\n{text}",
            "Make this sound friendlier: {text}",
            "Paraphrase the following paragraph.\n\n{text}",
            "Rewrite this for a ten-year-old:\n{text}",
            "Shorten this to two sentences:\n{text}",
        ),
        "fr": ("Reformule ce paragraphe sur un ton plus formel :\n{text}",),
        "es": ("Reescribe este párrafo con un tono más formal:\n{text}",),
        "it": ("Riscrivi questo testo in modo più semplice:\n{text}",),
    },
    "summarise": {
        "en": (
            "Summarize the following in one sentence.\n\n{text}",
            "TL;DR:\n{text}",
            "Give me three bullet points summarising this:\n\n{text}",
        ),
        "fr": ("Résume ce paragraphe en une phrase :\n{text}",),
        "de": ("Fasse diesen Text in zwei Sätzen zusammen:\n{text}",),
        "pt": ("Resuma este texto em uma frase:\n{text}",),
    },
    "format": {
        "en": (
            "Turn this into a bulleted list:\n\n{text}",
            "Format the following as a markdown table with two columns (fact, value):\n\n{text}",
            'Convert this text to JSON with the keys "title" and "summary".\n\n{text}',
            "Put each sentence of this text on its own line, numbered:\n{text}",
        ),
        "fr": ("Mets ce texte sous forme de liste à puces :\n{text}",),
        "de": ("Formatiere das als Aufzählung:\n{text}",),
    },
    "extraction": {
        "en": (
            "Extract all dates mentioned in this text and return them as a JSON list.\n\n{text}",
            "List every person named in the following passage:\n{text}",
            "From the text below, pull out the numbers and what they refer to.\n\n{text}",
            "What places are mentioned here? Just list them.\n\n{text}",
            'Return JSON with keys "topic" and "people" for this text: {text}',
        ),
        "fr": ("Extrais les noms propres du texte suivant :\n{text}",),
        "de": ("Extrahiere alle Jahreszahlen aus diesem Text:\n{text}",),
        "es": ("Extrae las fechas que aparecen en este texto:\n{text}",),
    },
    "classification": {
        "en": (
            "Which of these categories fits this message: {cats}?\n\nMessage: {text}",
            "Classify the following customer message as {cats}. Reply with the label only.\n\n{text}",
            "Is this email spam or not spam?\n\n{text}",
            "What is the sentiment of this text (positive, negative, neutral)?\n{text}",
            "Tag this ticket with one of: {cats}\n---\n{text}",
            "Which school subject is this question from? Answer with one word.\n\n{text}",
            "Label the difficulty of this exercise as easy, medium or hard. Do not solve it.\n\n{text}",
        ),
        "fr": (
            "Classe ce message dans une de ces catégories : {cats}.\n\n{text}",
            "Dans quelle matière classerais-tu cet exercice ? Ne le résous pas.\n\n{text}",
        ),
        "de": ("Ordne diese Nachricht einer Kategorie zu ({cats}):\n{text}",),
        "es": ("Clasifica este mensaje: {cats}\n\n{text}",),
    },
}

_CATEGORY_SETS = (
    "billing, technical support, sales, spam",
    "urgent, normal, low priority",
    "complaint, question, praise",
    "bug report, feature request, question",
    "sport, politics, science, entertainment",
    "shipping, refund, account, other",
)

# Wrappers that keep the tier of the wrapped request: the instruction only frames it.
_FRAMES: dict[str, Sequence[str]] = {
    "en": ("Hi! Quick question:\n{text}", "Can you help me with this?\n\n{text}", "{text}\n\nThanks!"),
    "fr": ("Bonjour, peux-tu m'aider avec ceci ?\n\n{text}", "J'ai besoin d'aide :\n{text}"),
    "de": ("Hallo, kannst du mir hierbei helfen?\n\n{text}",),
    "es": ("Hola, ¿me ayudas con esto?\n\n{text}",),
    "it": ("Ciao, mi aiuti con questo?\n\n{text}",),
    "pt": ("Olá, pode me ajudar com isto?\n\n{text}",),
}

_SOLVE_FRAMES: dict[str, Sequence[str]] = {
    "fr": ("Résous ce problème :\n{text}", "Peux-tu résoudre ceci en détaillant ?\n{text}"),
    "de": ("Löse die folgende Aufgabe:\n{text}",),
    "es": ("Resuelve el siguiente problema:\n{text}",),
    "it": ("Risolvi questo problema:\n{text}",),
    "pt": ("Resolva o seguinte problema:\n{text}",),
}


def add_typos(text: str, rng: random.Random, rate: float = 0.06) -> str:
    """Inject realistic typos (swapped, dropped, doubled letters) into about ``rate`` of words."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 3 and word.isalpha() and rng.random() < rate:
            j = rng.randrange(1, len(word) - 1)
            kind = rng.randrange(3)
            if kind == 0:
                word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            elif kind == 1:
                word = word[:j] + word[j + 1 :]
            else:
                word = word[:j] + word[j] + word[j:]
            words[i] = word
    return " ".join(words)


def _pick_lang(templates: dict[str, Sequence[str]], rng: random.Random) -> str:
    langs = list(templates)
    # English about half the time, the rest spread over the other languages.
    return "en" if "en" in templates and rng.random() < 0.5 else rng.choice(langs)


def wrap_light(text: str, group: str, rng: random.Random) -> Generated:
    """A light request built around ``text``: translate, fix, rewrite, summarise, extract, ..."""
    category = rng.choice(["translation", *list(_LIGHT_EDITS)])
    if category == "translation":
        lang = "en" if rng.random() < 0.5 else rng.choice(list(_TRANSLATE))
        templates, targets = _TRANSLATE[lang]
        prompt = rng.choice(templates).format(target=rng.choice(targets), text=text)
    else:
        by_lang = _LIGHT_EDITS[category]
        lang = _pick_lang(by_lang, rng)
        body = add_typos(text, rng) if category == "grammar_fix" else text
        prompt = rng.choice(by_lang[lang]).format(text=body, cats=rng.choice(_CATEGORY_SETS))
    return Generated(prompt, "light", category, lang, group)


def wrap_same_tier(text: str, tier: str, group: str, rng: random.Random) -> Generated:
    """A chat-style or foreign-language frame around a request; the tier is the request's own."""
    frames = _FRAMES if tier == "light" or rng.random() < 0.5 else _SOLVE_FRAMES
    lang = rng.choice(list(frames))
    return Generated(rng.choice(frames[lang]).format(text=text), tier, "framed", lang, group)


# --- compositions: intermediate --------------------------------------------------------------------

_COMPARISONS = (
    ("PostgreSQL", "MongoDB", "the backend of a small online shop"),
    ("renting", "buying a flat", "someone who may move city in three years"),
    ("the train", "a flight", "a trip from Paris to Berlin with a bike"),
    ("Python", "Go", "a command-line tool distributed to non-technical users"),
    ("a heat pump", "a gas boiler", "an old, poorly insulated house"),
    ("an index fund", "a savings account", "an emergency fund"),
    ("React", "server-rendered templates", "an internal admin dashboard"),
    ("leasing", "buying a used car", "a family that drives 25,000 km a year"),
    ("a monorepo", "several repositories", "a team of eight engineers with three services"),
    ("AWS Lambda", "a small VM", "a cron job that runs for 20 minutes every night"),
    ("Kafka", "RabbitMQ", "a system sending order events to four consumers"),
    ("a standing desk", "a regular desk with breaks", "someone with back pain on a budget"),
    ("learning Spanish", "learning German", "a French speaker looking for work abroad"),
    ("an electric car", "a hybrid", "a driver without a home charger"),
    ("SQLite", "PostgreSQL", "a desktop app that syncs to the cloud"),
)
_CRITERIA = (
    "cost",
    "maintenance effort",
    "risk",
    "time to set up",
    "long-term flexibility",
    "environmental impact",
    "learning curve",
    "reliability",
    "resale value",
    "scalability",
)
_COMPARE_TEMPLATES = (
    "Compare {a} and {b} for {use}. Consider {c1}, {c2} and {c3}, and recommend one.",
    "{a} or {b} for {use}? Weigh {c1} against {c2} and tell me which you'd pick and why.",
    "I'm deciding between {a} and {b} for {use}. My priorities are {c1} then {c2}; {c3} matters less. "
    "What should I do?",
    "Compare {a} vs {b} ({use}) in a short table on {c1}, {c2} and {c3}, then give a recommendation.",
)
_COMPARE_FR = ("Compare {a} et {b} pour {use}, en tenant compte de {c1}, {c2} et {c3}. Que recommandes-tu ?",)
_NAMES = ("Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Giulia", "Hugo", "Ines", "Jonas")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_CITIES = ("Lisbon", "Kyoto", "Rome", "Vienna", "Montreal", "Edinburgh", "Seville", "Prague")


def _compare(rng: random.Random) -> tuple[str, str]:
    a, b, use = rng.choice(_COMPARISONS)
    c1, c2, c3 = rng.sample(_CRITERIA, 3)
    if rng.random() < 0.2:
        return rng.choice(_COMPARE_FR).format(a=a, b=b, use=use, c1=c1, c2=c2, c3=c3), "fr"
    return rng.choice(_COMPARE_TEMPLATES).format(a=a, b=b, use=use, c1=c1, c2=c2, c3=c3), "en"


def _schedule(rng: random.Random) -> tuple[str, str]:
    people = rng.sample(_NAMES, rng.randint(3, 5))
    days = rng.sample(_DAYS, 3)
    constraints = [
        f"{people[0]} is only free on {days[0]} and {days[1]}",
        f"{people[1]} can't do mornings",
        f"{people[2]} must meet {people[0]} before meeting {people[-1]}",
        f"no more than two meetings on {days[2]}",
        f"each meeting lasts {rng.choice([30, 45, 60])} minutes and needs a 15-minute gap after it",
    ]
    rng.shuffle(constraints)
    picked = constraints[: rng.randint(3, 5)]
    return (
        f"I need to schedule one-on-one meetings with {', '.join(people)} next week. "
        + "; ".join(picked)
        + ". Propose a schedule that satisfies all of this, or tell me which constraint to drop.",
        "en",
    )


def _trip(rng: random.Random) -> tuple[str, str]:
    city = rng.choice(_CITIES)
    days = rng.randint(2, 6)
    budget = rng.choice([400, 600, 900, 1500])
    extras = rng.sample(
        [
            "we are two adults and a toddler",
            "one of us is vegetarian",
            "we want at least one day trip outside the city",
            "museums are closed on Mondays",
            "we arrive at 3 pm on the first day",
            "no more than 8 km of walking per day",
            "we want to avoid taxis",
        ],
        3,
    )
    if rng.random() < 0.25:
        return (
            f"Organise un voyage de {days} jours à {city} avec un budget de {budget} euros : "
            + ", ".join(extras)
            + ". Donne un planning jour par jour avec les coûts.",
            "fr",
        )
    return (
        f"Plan a {days}-day trip to {city} with a budget of {budget} euros; "
        + "; ".join(extras)
        + ". Give a day-by-day plan with rough costs.",
        "en",
    )


def _probability(rng: random.Random) -> tuple[str, str]:
    red, blue, k = rng.randint(3, 9), rng.randint(2, 8), rng.randint(2, 3)
    event = rng.choice(
        ["all of them are red", "exactly one is blue", "at least one is blue", "they are not all the same colour"]
    )
    return (
        f"A bag has {red} red and {blue} blue marbles. If I draw {k} without replacement, "
        f"what is the probability that {event}?",
        "en",
    )


def _decision(rng: random.Random) -> tuple[str, str]:
    option = rng.choice(
        [
            "accept a job offer with 15% more pay but a 70-minute commute",
            "refinance my mortgage at 3.9% with a 2,000 euro fee",
            "migrate our app from a VM to Kubernetes this quarter",
            "hire a senior engineer or two juniors",
            "pay off my student loan early or invest the money",
        ]
    )
    conditions = rng.sample(
        [
            "I plan to stay at least four years",
            "we have a release deadline in six weeks",
            "my current rate is fixed for two more years",
            "our team has no ops experience",
            "I have three months of savings",
            "the budget is fixed for the year",
            "interest rates are expected to fall",
        ],
        3,
    )
    return (
        f"Should I {option}, given that {conditions[0]}, {conditions[1]} and {conditions[2]}? "
        "Walk me through the trade-offs.",
        "en",
    )


# --- compositions: advanced ------------------------------------------------------------------------

_ALGORITHMS = (
    "a lock-free multi-producer multi-consumer queue",
    "an LRU cache with per-key TTL and O(1) get and put",
    "Raft leader election and log replication",
    "a regular-expression engine supporting *, +, ?, alternation and groups",
    "an interval tree with insert, delete and overlap queries",
    "Dijkstra's algorithm with a decrease-key binary heap",
    "a B+ tree with range scans",
    "a token-bucket rate limiter shared across processes via Redis",
    "a JSON parser with precise error positions, without any library",
    "a persistent segment tree supporting range sums over versions",
    "an async connection pool with back-pressure and health checks",
    "a consistent-hashing ring with virtual nodes and rebalancing",
    "A* path finding on a weighted grid with diagonal moves",
    "a DPLL SAT solver with unit propagation and clause learning",
    "a mark-and-sweep garbage collector for a small bytecode VM",
    "a CRDT text sequence for collaborative editing",
    "an external merge sort for a 200 GB file with 2 GB of RAM",
    "a work-stealing thread pool",
    "a Bloom filter sized for a target false-positive rate, with a proof of the sizing formula",
    "a tokenizer and Pratt parser for arithmetic with functions and variables",
    "the Aho-Corasick automaton for multi-pattern search",
    "a skip list with concurrent readers",
    "minimum-cost maximum flow",
    "a write-ahead log with crash recovery",
)
_PROG_LANGS = ("Python", "Rust", "Go", "C++", "Java", "TypeScript", "C", "Kotlin")
_CODE_CONSTRAINTS = (
    "Explain the time and space complexity and argue correctness.",
    "It must be thread-safe; explain why your locking cannot deadlock.",
    "Include unit tests for the edge cases.",
    "Do not use any third-party library.",
    "n can be 10^7, so optimise for memory.",
    "Handle malformed input without crashing.",
)
_CODE_TEMPLATES = (
    "Implement {algo} in {lang}. {c1} {c2}",
    "Write {algo} in {lang}. {c1}",
    "I need {algo} for a production service in {lang}. {c1} {c2}",
    "Can you code {algo} in {lang}? {c1}",
)
_CODE_FR = ("Implémente {algo} en {lang}. {c1}", "Écris en {lang} {algo}, avec des tests. {c1}")
_CODE_DE = ("Implementiere {algo} in {lang}. {c1}",)
_SYSTEMS = (
    "a URL shortener",
    "a chat service with read receipts",
    "a ride-hailing dispatch system",
    "a metrics ingestion pipeline",
    "a multi-tenant job scheduler",
    "a payments ledger",
    "a feature-flag service",
    "a news-feed ranking service",
    "a distributed rate limiter",
    "a collaborative document editor",
    "a search autocomplete service",
    "a video transcoding pipeline",
)
_SCALES = (
    "10 million daily users",
    "50,000 writes per second",
    "p99 latency under 50 ms across three regions",
    "exactly-once processing",
    "strict consistency for balances",
    "a 99.99% availability target",
)
_DESIGN_ASPECTS = (
    "data model, partitioning, failure modes and capacity estimates",
    "API, storage choice, caching, and how you would migrate without downtime",
    "consistency guarantees, replication, and the back-of-envelope numbers",
)
_PROOFS = (
    "there are infinitely many primes of the form 4k+3",
    "every planar graph is 5-colourable",
    "the harmonic series diverges but the alternating harmonic series converges to ln 2",
    "a tree with n vertices has n-1 edges",
    "sqrt(2) + sqrt(3) is irrational",
    "for every n >= 1, 1^3 + 2^3 + ... + n^3 = (1 + 2 + ... + n)^2",
    "any comparison sort needs Omega(n log n) comparisons in the worst case",
    "the halting problem is undecidable",
    "a continuous function on [a, b] is uniformly continuous",
    "every finite integral domain is a field",
    "the greedy algorithm for interval scheduling is optimal",
    "in any group of six people there are three mutual friends or three mutual strangers",
)
_ENGINEERING = (
    "Size a simply supported steel I-beam spanning {n} m carrying a uniform load of {q} kN/m so that "
    "deflection stays under L/360 and bending stress under the allowable; show each step.",
    "Design a counter-flow heat exchanger cooling {q} kg/s of oil from 90 C to 40 C with water entering "
    "at 15 C; find the required area using the LMTD and effectiveness-NTU methods and compare.",
    "A {n}-storey building needs a pump to lift water at {q} L/s; compute head losses in the pipe "
    "network, pick a pump from the system curve, and check for cavitation (NPSH).",
    "Derive the transfer function of a second-order RLC low-pass filter, then choose R, L and C for a "
    "cut-off of {q} kHz with a Q of {n}, and check the step response overshoot.",
    "Estimate the battery capacity and solar array size for an off-grid cabin using {q} kWh per day "
    "with {n} days of autonomy in winter; state your assumptions and losses.",
)
_ADVANCED_FR = (
    "Démontre que {proof}.",
    "Conçois {system} pour {scale} : {aspects}.",
)


def _code(rng: random.Random) -> tuple[str, str]:
    algo, lang = rng.choice(_ALGORITHMS), rng.choice(_PROG_LANGS)
    c1, c2 = rng.sample(_CODE_CONSTRAINTS, 2)
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(_CODE_FR).format(algo=algo, lang=lang, c1=c1), "fr"
    if roll < 0.22:
        return rng.choice(_CODE_DE).format(algo=algo, lang=lang, c1=c1), "de"
    return rng.choice(_CODE_TEMPLATES).format(algo=algo, lang=lang, c1=c1, c2=c2).strip(), "en"


def _design(rng: random.Random) -> tuple[str, str]:
    system, scale, aspects = rng.choice(_SYSTEMS), rng.choice(_SCALES), rng.choice(_DESIGN_ASPECTS)
    if rng.random() < 0.2:
        return _ADVANCED_FR[1].format(system=system, scale=scale, aspects=aspects), "fr"
    return f"Design {system} for {scale}. Cover the {aspects}.", "en"


def _proof(rng: random.Random) -> tuple[str, str]:
    proof = rng.choice(_PROOFS)
    if rng.random() < 0.2:
        return _ADVANCED_FR[0].format(proof=proof), "fr"
    return rng.choice(("Prove that {p}.", "Give a rigorous proof that {p}.", "Show that {p}.")).format(p=proof), "en"


def _engineering(rng: random.Random) -> tuple[str, str]:
    template = rng.choice(_ENGINEERING)
    return template.format(n=rng.randint(3, 12), q=rng.choice([2, 5, 8, 12, 20])), "en"


_COMPOSERS = {
    "intermediate": (
        ("comparison", _compare),
        ("scheduling", _schedule),
        ("planning", _trip),
        ("probability", _probability),
        ("decision", _decision),
    ),
    "advanced": (("code", _code), ("system_design", _design), ("proof", _proof), ("engineering", _engineering)),
}


def compose(tier: str, count: int, rng: random.Random) -> Iterator[Generated]:
    """``count`` composed requests of ``tier``, cycling through its categories."""
    composers = _COMPOSERS[tier]
    for i in range(count):
        category, make = composers[i % len(composers)]
        text, lang = make(rng)
        yield Generated(re.sub(r"\s+$", "", text), tier, category, lang, None)
