"""Training, calibration and evaluation of the shipped tier classifier from ``data/corpus/``.

* Training rows get format-perturbed siblings (lower-cased, question marks dropped, lines joined,
  wrapped in a chat preamble) so that formatting carries no signal.
* The temperature and decision thresholds are fitted on the validation split; the test split and
  the outcome-holdout items are only scored.
* ``leave_one_source_out`` retrains without each source in turn and scores that source.
* ``contrasts`` reports rank correlations of the complexity score with difficulty inside sources.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier._corpus import read_jsonl
from classifier._eval import classification_report, rank_correlation
from classifier._framing import FramingDetector, lines, sentences
from classifier._model import TierClassifier
from classifier._wrappers import all_parts, compose_wrapper, fill_placeholders

PERTURB_SEED = 7
PERTURB_SHARE = 0.7
#: Chat-style wrappers used to augment training (the tests use a different, held-out set).
CHAT_PREAMBLES = (
    "You are a helpful assistant. Answer the user's request.\n\nUser: {text}",
    "Please help me with the following:\n\n{text}",
    "SYSTEM: You are an expert assistant.\nUSER: {text}\nASSISTANT:",
    "<|user|>\n{text}\n<|assistant|>",
    "### Instruction:\n{text}\n\n### Response:",
    "Hey, quick one for you. {text}",
    "You are a concise assistant. Keep answers short.\n\n{text}",
    "Question: {text}\nAnswer:",
    "[INST] {text} [/INST]",
    "Human: {text}\n\nAssistant:",
    "I have a question.\n{text}\nThanks in advance!",
    "Context: internal help desk chat.\nMessage from user:\n{text}",
    "{text}\n\nPlease answer carefully.",
    "Hi there,\n\n{text}\n\nBest regards",
    "Tu es un assistant utile. Réponds à la demande suivante.\n\n{text}",
    "Bonjour ! {text} Merci d'avance.",
    "Du bist ein hilfreicher Assistent.\n\n{text}",
    "Eres un asistente útil.\n\n{text}",
    "<system>You answer questions for our customers.</system>\n<user>{text}</user>",
    "Task from the queue (priority: normal):\n{text}",
    "The user wrote the following. Respond appropriately.\n---\n{text}\n---",
    "Can you help me out? {text}",
    "Answer the following as an expert would.\n\n{text}",
    '{"role": "user", "content": "{text}"}',
    "Read the request below and reply.\n\n{text}",
    "The following is a task. Complete it.\n\n{text}",
    "Write a response to this instruction:\n{text}",
    "{text}\n\nReply in English.",
    "{text}\n\nKeep it brief, please.",
    "{text} (please be thorough)",
    "Instruction follows.\n{text}\nEnd of instruction.",
    "Respond to the message below.\n---\n{text}",
    "Here is my request: {text}",
    "{text}\nPlease and thank you!",
    "Réponds à la question suivante.\n{text}",
    "Antworte bitte auf Deutsch.\n{text}",
    "Responde en español, por favor.\n{text}",
)


#: Parts that :func:`compose_preamble` combines into many more wrappers than the fixed list: an
#: opening (persona, greeting, framing of the request), a label before the request, a container
#: around it and a closing, in several languages.
PREAMBLE_OPENINGS = (
    "",
    "You are a knowledgeable assistant working for a software company.",
    "You are a friendly AI that helps students.",
    "Act as a patient teacher.",
    "You're an assistant for a busy team; be direct.",
    "System prompt: answer truthfully and say when you are unsure.",
    "Good morning!",
    "Hey there :)",
    "Hi team, hope all is well.",
    "Quick favour to ask.",
    "I've got something for you.",
    "Here's what I need.",
    "See the question that follows.",
    "New ticket from the web form.",
    "Forwarded from a colleague:",
    "Conversation id 4821, turn 3.",
    "Customer chat transcript (latest message only):",
    "Priority: high. Channel: email.",
    "Sei un assistente disponibile. Ecco la richiesta.",
    "Você é um assistente prestativo. Segue o pedido.",
    "Vous êtes un assistant serviable. Voici ma question.",
    "Sie sind ein hilfreicher Assistent. Hier ist meine Frage.",
    "Eres un asistente experto. Aquí va mi pregunta.",
    "Salut ! Une petite question pour toi.",
    "Hallo zusammen, ich hätte da eine Frage.",
    "Hola, tengo una duda.",
    "Ciao! Una domanda veloce.",
    "Oi, tudo bem? Tenho uma pergunta.",
    "Hallo, ik heb een vraag.",
    "Je bent een behulpzame assistent.",
)
PREAMBLE_LABELS = ("", "", "Prompt:", "Query:", "Message:", "Ticket:", "Q:", "Frage:", "Pregunta:", "Demande :")
PREAMBLE_CONTAINERS = (
    "{text}",
    "{text}",
    "{text}",
    '"{text}"',
    "> {text}",
    "<request>\n{text}\n</request>",
    "```\n{text}\n```",
    "---\n{text}\n---",
    "<<<\n{text}\n>>>",
)
PREAMBLE_CLOSINGS = (
    "",
    "",
    "Thank you so much!",
    "Cheers.",
    "Looking forward to your reply.",
    "Be as accurate as you can.",
    "Answer concisely.",
    "Explain your reasoning.",
    "No need for a long answer.",
    "Merci beaucoup.",
    "Danke schön!",
    "¡Gracias!",
    "Grazie mille.",
    "Obrigado!",
    "Bedankt!",
    "Sent from my phone",
    "-- Sam",
    "(reply in the same language)",
)


#: Who passes the request on, and how: "my neighbour" + "asked me this" ("Ma sœur m'a demandé
#: ceci."). The asker and the occasion say nothing about how hard the request is.
ASKERS = {
    "en": (
        ("My neighbour", "My boss", "A colleague", "My sister", "Our intern", "A reader of our blog", "My tutor"),
        ("asked me this", "sent me this", "wants to know", "brought this up at lunch", "put this in our group chat"),
        ("", " yesterday", " this morning", " for a quiz", " for a report", " during a meeting"),
    ),
    "fr": (
        ("Mon voisin", "Ma cheffe", "Un collègue", "Ma sœur", "Notre stagiaire"),
        ("m'a demandé ceci", "m'a envoyé ça", "veut savoir", "a posé la question en réunion"),
        ("", " hier", " ce matin", " pour un devoir"),
    ),
    "de": (
        ("Mein Nachbar", "Meine Chefin", "Ein Kollege", "Meine Schwester"),
        ("hat mich das gefragt", "hat mir das geschickt", "möchte wissen"),
        ("", " gestern", " heute früh", " für eine Prüfung"),
    ),
    "es": (
        ("Mi vecino", "Mi jefa", "Un compañero", "Mi hermana"),
        ("me preguntó esto", "me mandó esto", "quiere saber"),
        ("", " ayer", " esta mañana", " para un examen"),
    ),
    "it": (("Mio fratello", "Una collega", "Il mio capo"), ("mi ha chiesto questo", "vuole sapere"), ("", " ieri")),
    "pt": (("Meu vizinho", "Uma colega", "Minha chefe"), ("me perguntou isto", "quer saber"), ("", " ontem")),
}


#: Why the request is asked ("It's for a pub quiz."): the purpose says nothing about difficulty.
PURPOSES = {
    "en": (
        ("It's for", "This is for", "I need it for", "Asking for"),
        ("a presentation", "my homework", "a blog post", "an exam next week", "a pub quiz", "work", "a friend"),
    ),
    "fr": (("C'est pour", "J'en ai besoin pour"), ("un exposé", "mes devoirs", "le travail", "un examen")),
    "de": (("Das ist für", "Ich brauche das für"), ("eine Hausarbeit", "die Arbeit", "eine Prüfung", "ein Quiz")),
    "es": (("Es para", "Lo necesito para"), ("un trabajo", "la escuela", "un examen", "una presentación")),
    "it": (("È per", "Mi serve per"), ("un progetto", "la scuola", "un esame")),
    "pt": (("É para", "Preciso disso para"), ("um trabalho", "a escola", "uma prova")),
}
#: Mail and ticket headers and sign-offs around a pasted request.
HEADERS = ("Subject: {topic}", "Re: {topic}", "Fwd: {topic}", "Objet : {topic}", "Betreff: {topic}", "Asunto: {topic}")
TOPICS = ("question", "quick one", "urgent", "follow-up", "help needed", "assignment", "from the team", "ticket 5531")
SIGN_OFFS = (
    "-- {name}",
    "Best,\n{name}",
    "Sent from my tablet",
    "Thanks, {name}",
    "Cordialement,\n{name}",
    "Viele Grüße\n{name}",
    "Un abrazo, {name}",
    "Cumprimentos, {name}",
)
NAMES = ("Sam", "Priya", "Tomás", "Yuki", "Olu", "Lena", "Marco", "Chloé")


def compose_purpose(rng: random.Random) -> str:
    """A sentence saying what the request is for (see :data:`PURPOSES`)."""
    lead, what = PURPOSES[rng.choice(list(PURPOSES))]
    return f"{rng.choice(lead)} {rng.choice(what)}{rng.choice(('.', '!', ''))}"


def compose_asker(rng: random.Random) -> str:
    """A sentence saying who passes the request on (see :data:`ASKERS`)."""
    who, did, when = ASKERS[rng.choice(list(ASKERS))]
    return f"{rng.choice(who)} {rng.choice(did)}{rng.choice(when)}{rng.choice(('.', ':', '!', ' -'))}"


def compose_preamble(rng: random.Random) -> str:
    """A wrapper (with ``{text}``) made of random :data:`PREAMBLE_OPENINGS` (or an asker sentence),
    labels, containers and closings, joined by a space, a line break or a blank line."""
    seps = (" ", "\n", "\n\n")
    body = rng.choice(PREAMBLE_CONTAINERS)
    label = rng.choice(PREAMBLE_LABELS)
    if label:
        body = label + rng.choice((" ", "\n")) + body
    roll = rng.random()
    if roll < 0.25:
        opening = compose_asker(rng)
    elif roll < 0.35:
        opening = compose_purpose(rng)
    elif roll < 0.45:
        opening = rng.choice(HEADERS).format(topic=rng.choice(TOPICS)) + "\n"
    else:
        opening = rng.choice(PREAMBLE_OPENINGS)
    roll = rng.random()
    if roll < 0.15:
        closing = compose_purpose(rng)
    elif roll < 0.3:
        closing = rng.choice(SIGN_OFFS).format(name=rng.choice(NAMES))
    else:
        closing = rng.choice(PREAMBLE_CLOSINGS)
    if opening:
        body = opening + rng.choice(seps) + body
    if closing:
        body = body + rng.choice(seps) + closing
    return body


#: Code keeps its lines: a fence, an indented line, ``def``, ``return``, braces or semicolons.
_CODE_LINES = re.compile(r"```|^[ \t]{2,}\S|\bdef |\breturn\b|[{};]", re.MULTILINE)


def perturb(text: str, kind: str, rng: random.Random | None = None, preambles: Sequence[str] = CHAT_PREAMBLES) -> str:
    """A format-only change of ``text``: ``lower``, ``no_question_mark``, ``chat`` (wrapped in one
    of ``preambles``), ``composed_chat`` (wrapped in a :func:`compose_preamble`), ``framed``
    (wrapped in a :func:`~classifier._wrappers.compose_wrapper`), ``one_line`` (its lines joined
    with spaces; a prompt of one line, or holding code, is left as it is) or
    ``no_option_letters``; the prompt's difficulty is unchanged."""
    if kind == "one_line":
        # an app sends "Fix the grammar: \"...\"" on one line as often as with the text below it
        return " ".join(text.split()) if "\n" in text and _CODE_LINES.search(text) is None else text
    if kind == "lower":
        return text.lower()
    if kind == "no_question_mark":
        return text.replace("?", "")
    if kind == "chat":
        template = (rng or random.Random(0)).choice(preambles)
        return template.replace("{text}", text)
    if kind == "composed_chat":
        return compose_preamble(rng or random.Random(0)).replace("{text}", text)
    if kind == "framed":
        return compose_wrapper(rng or random.Random(0)).replace("{text}", text)
    if kind == "no_option_letters":
        return re.sub(r"(?m)^[ \t]*\(?[A-E][.)][ \t]+", "", text)
    raise ValueError(f"unknown perturbation {kind!r}")


PERTURBATIONS = ("lower", "no_question_mark", "chat", "no_option_letters")
#: What a perturbed training sibling gets, drawn uniformly (a wrapper five times in eight). Joined
#: lines: light requests built around a passage put it on lines of its own, so without them the
#: line count alone pushed a one-line request with its text inline towards advanced.
TRAINING_PERTURBATIONS = (
    "lower",
    "no_question_mark",
    "chat",
    "composed_chat",
    "framed",
    "framed",
    "framed",
    "one_line",
)


def with_perturbations(
    texts: Sequence[str],
    tiers: Sequence[str],
    weights: Sequence[float],
    share: float = PERTURB_SHARE,
    seed: int = PERTURB_SEED,
) -> tuple[list[str], list[str], list[float]]:
    """``texts`` plus a perturbed sibling (same tier and weight) for a random ``share`` of them."""
    rng = random.Random(seed)
    out_x, out_y, out_w = list(texts), list(tiers), list(weights)
    for text, tier, weight in zip(texts, tiers, weights, strict=True):
        if rng.random() < share:
            out_x.append(perturb(text, rng.choice(TRAINING_PERTURBATIONS), rng))
            out_y.append(tier)
            out_w.append(weight)
    return out_x, out_y, out_w


#: Training weight by row origin: the project's hand-written prompts are the closest to real
#: app traffic, so each counts as several rows.
ORIGIN_WEIGHTS = {"source": 1.0, "augmented": 1.0, "project": 5.0}


def load_rows(path: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(path))


def files_sha256(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _texts(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in rows]


def _tiers(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [r["tier"] for r in rows]


def training_framing_parts() -> list[str]:
    """Every fixed string training wraps prompts with, or composes wrappers from."""
    parts: list[str] = [*CHAT_PREAMBLES, *PREAMBLE_OPENINGS, *PREAMBLE_CLOSINGS, *PREAMBLE_LABELS, *HEADERS, *SIGN_OFFS]
    for who, did, when in ASKERS.values():
        parts += [*who, *did, *when]
    for lead, what in PURPOSES.values():
        parts += [*lead, *what]
    return parts + all_parts()


def framing_sentences(rng: random.Random, wrappers: int = 6000) -> list[str]:
    """Framing, sentence by sentence and line by line: every fixed training part, and ``wrappers``
    composed wrappers, without the request."""
    out = []
    for part in training_framing_parts():
        filled = fill_placeholders(part, rng).replace("{topic}", rng.choice(TOPICS)).replace("{text}", "\n")
        out += sentences(filled) + lines(filled)
    for _ in range(wrappers):
        wrapper = (compose_wrapper(rng) if rng.random() < 0.7 else compose_preamble(rng)).replace("{text}", "\n")
        out += sentences(wrapper) + lines(wrapper)
    return out


def content_sentences(rows: Sequence[dict[str, Any]], rng: random.Random) -> list[str]:
    """Content: the first two, the last and one random sentence of each prompt (their first 1,500
    characters), where framing would sit and elsewhere, and its first and last lines of more than
    one sentence. Feedback rows are real traffic, whose greetings and sign-offs are framing: they
    are left out."""
    out = []
    for row in rows:
        if row.get("origin") == "feedback":
            continue
        head = row["text"][:1500]
        found = sentences(head)
        if found:
            out += [*found[:2], found[-1], rng.choice(found)]
        multi = lines(head)
        out += multi[:1] + multi[1:][-1:]
    return out


def fit_framing_detector(
    train: Sequence[dict[str, Any]],
    validation: Sequence[dict[str, Any]],
    seed: int = PERTURB_SEED,
    bits: int = 16,
) -> FramingDetector:
    """The learned framing detector: framing parts against training prompts' sentences, its
    threshold set on the validation prompts' sentences; ``bits`` must be the classifier's."""
    rng = random.Random(seed)
    framing = framing_sentences(rng)
    return FramingDetector(bits=bits).fit(framing, content_sentences(train, rng), content_sentences(validation, rng))


def fit_calibrated(
    train: Sequence[dict[str, Any]],
    validation: Sequence[dict[str, Any]],
    params: dict[str, Any] | None = None,
    verbose: bool = False,
) -> TierClassifier:
    """The framing detector, then the classifier on ``train`` plus perturbed siblings, then its
    temperature and thresholds on ``validation``. A row's ``weight`` (feedback rows carry one)
    overrides :data:`ORIGIN_WEIGHTS`."""
    weights = [
        float(r["weight"]) if r.get("weight") is not None else ORIGIN_WEIGHTS.get(r.get("origin", "source"), 1.0)
        for r in train
    ]
    x, y, w = with_perturbations(_texts(train), _tiers(train), weights)
    detector = fit_framing_detector(train, validation, bits=int((params or {}).get("bits", 16)))
    clf = TierClassifier(**{**(params or {}), "verbose": verbose}).fit(x, y, sample_weight=w, framing_detector=detector)
    return clf.calibrate(_texts(validation), _tiers(validation))


def report_by_source(clf: TierClassifier, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    preds = list(clf.predict(_texts(rows)))
    out: dict[str, Any] = {}
    for source in sorted({r["source"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["source"] == source]
        rep = classification_report([rows[i]["tier"] for i in idx], [preds[i] for i in idx])
        out[source] = {k: rep[k] for k in ("n", "accuracy", "macro_f1", "under_routing")}
    return out


#: Within-source difficulty contrasts: (name, row filter, difficulty level of a row).
CONTRASTS: tuple[tuple[str, Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], float]], ...] = (
    ("MATH level 1-5", lambda r: r["source"] == "math", lambda r: float(r["category"][-1])),
    (
        "ARC-Easy vs ARC-Challenge",
        lambda r: r["source"] == "arc",
        lambda r: float(r["category"] == "ARC-Challenge"),
    ),
    (
        "MBPP vs HumanEval",
        lambda r: r["source"] in ("mbpp", "humaneval"),
        lambda r: float(r["source"] == "humaneval"),
    ),
    ("SVAMP vs GSM8K", lambda r: r["source"] in ("svamp", "gsm8k"), lambda r: float(r["source"] == "gsm8k")),
)


def contrasts(clf: TierClassifier, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Spearman correlation of the complexity score (and of a length-only baseline) with the
    difficulty level inside each contrast."""
    out = {}
    for name, keep, level in CONTRASTS:
        picked = [r for r in rows if keep(r)]
        if not picked:
            continue
        scores = clf.complexity_score(_texts(picked))
        levels = [level(r) for r in picked]
        out[name] = {
            "n": len(picked),
            "spearman_score": rank_correlation(list(scores), levels),
            "spearman_length_baseline": rank_correlation([float(len(r["text"])) for r in picked], levels),
        }
    return out


def leave_one_source_out(
    train: Sequence[dict[str, Any]],
    validation: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]],
    params: dict[str, Any] | None = None,
    sources: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """For each source: train without it (and without its templated siblings), score all of its
    items from every split."""
    everything = [*train, *validation, *test]
    names = sources or sorted({r["source"] for r in everything if r["origin"] == "source"})
    out: dict[str, Any] = {}
    for source in names:
        if progress:
            progress(source)
        groups = {r["group"] for r in everything if r["source"] == source}
        tr = [r for r in train if r["group"] not in groups]
        va = [r for r in validation if r["group"] not in groups]
        held = [r for r in everything if r["source"] == source]
        clf = fit_calibrated(tr, va, params)
        rep = classification_report(_tiers(held), list(clf.predict(_texts(held))))
        out[source] = {k: rep[k] for k in ("n", "accuracy", "macro_f1", "under_routing", "confusion")}
    return out


def summarise_scores(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"median": float(np.median(arr)), "p99": float(np.percentile(arr, 99))}


def format_robustness(
    clf: TierClassifier,
    texts: Sequence[str],
    kinds: Sequence[str] = PERTURBATIONS,
    preambles: Sequence[str] = CHAT_PREAMBLES,
) -> dict[str, float]:
    """Share of prompts whose predicted tier is unchanged by each format perturbation.

    Only prompts the perturbation actually changes are counted (lower-casing an all-lowercase
    prompt proves nothing)."""
    base = list(clf.predict(texts))
    rng = random.Random(11)
    out = {}
    for kind in kinds:
        changed = [(i, perturb(t, kind, rng, preambles)) for i, t in enumerate(texts)]
        changed = [(i, p) for i, p in changed if p != texts[i]]
        if not changed:
            continue
        preds = clf.predict([p for _, p in changed])
        same = sum(pred == base[i] for (i, _), pred in zip(changed, preds, strict=True))
        out[kind] = round(same / len(changed), 4)
        out[f"{kind}_n"] = len(changed)
    return out
