"""Prompt features: hashed character and word n-grams plus cheap structural signals.

Every n-gram, character or word, is a substring of a cleaned copy of the prompt, so all of them
are hashed with one polynomial prefix sum over the code points (mod 2**64), without a
Python-level loop per n-gram: in numpy, or by a compiled twin of the same arithmetic when one was
built at install time (:mod:`classifier._compiled`). That keeps one prompt of 2,000 characters
well under a millisecond.
Long prompts are bounded: n-grams read the first ``head_chars`` and last ``tail_chars`` characters;
structural signals read the whole prompt with C-speed string methods.

The cleaning is what makes the features robust to formatting that carries no difficulty: case is
folded, multiple-choice option labels (``A.``, ``(b)``) and a trailing ``Answer:`` are dropped,
punctuation that only marks sentence ends becomes a space, and every digit becomes ``0``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from classifier._compiled import speedups
from classifier._turns import newest_user_turn

_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALT_CHAR = np.array(0x51ED270B27A5F0D1, dtype=np.uint64)  # 0-d arrays: cheaper operands than scalars
_SALT_WORD = np.uint64(0xC2B2AE3D27D4EB4F)

_SALT_FIRST = np.uint64(0x165667B19E3779F9)
#: Per-size salts of word n-grams (up to 64 words) and of the opening words, and the shift
#: keeping ``bits`` bits.
_WORD_SALTS = tuple(np.array(_SALT_WORD + np.uint64(size)) for size in range(65))
_FIRST_SALTS = tuple(_SALT_FIRST + np.uint64(size) for size in range(65))
_MAX_WORD_NGRAM = len(_WORD_SALTS) - 1
_SHIFTS = tuple(np.uint64(64 - bits) for bits in range(65))

#: A multiple-choice option label opening a line (``A.``, ``(b)``): dropped from the cleaned text
#: (:data:`_OPTION_LABEL`, after case folding) and never judged by the framing detector
#: (:data:`OPTION_START`).
_OPTION = r"[ \t]*[\(\[]?[a-e][\.\)\]:][ \t]+"
OPTION_START = re.compile(_OPTION, re.IGNORECASE)
#: Line-start patterns are written as a line break followed by the pattern (plus a match at the
#: text's start, see :func:`_sub_at_line_starts`): the regex engine then jumps from one line
#: break to the next instead of trying ``(?m)^`` at every character (a tenth of the time).
_OPTION_LABEL = re.compile("\n" + _OPTION)
_TRAILING_ANSWERS = ("answer:", "réponse:", "réponse :", "antwort:", "respuesta:")
#: Chat scaffolding that carries no difficulty: the template tokens of common open models
#: (``<|im_start|>``, ``<｜User｜>``, ``[INST]``, ``<<SYS>>``, ``<start_of_turn>user``, ``<s>``,
#: ``<bos>``), role tags (``<user>``, ``</system>``, ``[bot]``) and role labels opening a line
#: (``User:``, ``### Instruction:``, ``ASSISTANT:``).
_SCAFFOLD_TOKEN = re.compile(
    r"<[|｜][^|｜>\n]{0,40}[|｜]>(?:[ \t]*(?:system|user|assistant)\b)?|\[/?inst\]|</?s>|<[be]os>|<</?sys>>"
    r"|<(?:start|end)_of_turn>(?:(?:user|model)\b)?"
    r"|</?(?:system|user|assistant|human|bot)>|\[/?(?:system|user|assistant|human|bot)\]",
    re.IGNORECASE,
)
_ROLE_LABEL = re.compile(
    r"\n[ \t#>*]*(?:system|user|assistant|human|ai|bot|instruction|response|input|output)"
    r"(?:[ \t]+(?:message|request|prompt|query|input))?[ \t]*:",
    re.IGNORECASE,
)
#: A sentence that describes the assistant rather than the task ("You are a helpful
#: assistant.", "Act as a tutor.", "Tu es un assistant.") is a system instruction written into
#: the prompt.
_PERSONA = re.compile(
    r"\s*(?:you are|you're|act as|tu es|vous êtes|du bist|sie sind|eres|sei|você é)\b"
    r"(?=[^.!?\n]{0,160}\b(?:assistant|assistente|asistente|assistent|chatbot|bot|ai|ia|ki|llm"
    r"|language model|helpful|expert|tutor|teacher|agent)\b)",
    re.IGNORECASE,
)


class FramingJudge(Protocol):
    """What :func:`strip_framing` asks of a learned detector (:class:`classifier._framing.FramingDetector`):
    whether it judges a piece at all, and whether it takes it for framing."""

    def judges(self, sentence: str) -> bool: ...

    def is_framing(self, sentence: str) -> bool: ...


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words that can make up instruction-free framing: greetings, politeness, pronouns and
#: articles, words naming the request or the reply, generic verbs of replying and adjectives of
#: answer style, in the corpus's main languages.
_FRAMING_WORDS = _word_set(
    """
    hi hello hey heya hiya greetings dear good morning afternoon evening there folks team friend
    friends please pls plz kindly thanks thank thx ty cheers regards best kind sincerely advance
    appreciate appreciated grateful much many lot so very really quick quickly one hope hoping well
    doing day great nice ok okay sorry bother bothering again once more out keep ask asked
    wrote written sent
    i me my mine we us our you your yours it its this that these those the a an and or but to of
    for in on at with by from as is are am be been being was were will would could can should
    shall may might must do does did have has had re ve ll s m d t not just also then now here
    only if any some following follows follow below beneath under next after before end start
    begin beginning
    request requests question questions query queries prompt prompts message messages task tasks
    instruction instructions input inquiry enquiry problem text item items ticket thing
    response responses answer answers answering reply replies replying respond responds
    responding output outputs result solution thoughts
    user users assistant assistants chatbot bot ai model models language large system
    conversation chat human
    help helps helping assist assists assisting complete completes completing completed read
    write writes writing describe describes describing described provide provides give get
    handle address consider take look see work go like want need wanted
    appropriately appropriate properly proper carefully careful accurately accurate accuracy
    concise concisely brief briefly short shortly succinct thorough thoroughly helpful honest
    harmless precise precisely clear clearly detail detailed polite politely friendly correct
    correctly possible reliable truthful
    english french german spanish italian portuguese dutch
    bonjour salut coucou bonsoir merci beaucoup avance svp plaît plait je tu il elle nous vous
    moi toi mon ma mes ton ta tes votre vos le la les l un une des du de et ou à au aux en pour
    avec par sur ci dessous dessus suivant suivante suivants suivantes voici voilà est es êtes
    sont suis demande demandes requête tâche consigne réponse réponds répondez répondre aide
    aider aidez aides aiderais pourrais pourriez peux pouvez cordialement bien espère vas allez
    va ça ca français anglais ce
    cette cet qui avoir ai as j n ne pas
    hallo guten tag morgen abend bitte danke vielen dank im voraus ich du sie er wir mir dir
    mich dich uns euch mein meine meinen dein deine ihr ihre der die das den dem des ein eine
    einen einem und oder auf zu mit für von folgende folgenden folgendes unten hier ist sind
    bist bin frage fragen anfrage aufgabe nachricht antwort antworte antworten beantworte hilf
    hilfe helfen hilfst kannst können könntest deutsch englisch gruß grüße freundliche freundlichen viele liebe
    lieber hoffe gut geht brauche brauchen kurz kurze bei dieser diese dieses diesem
    hola buenos buenas días dias tardes noches gracias muchas por favor antemano saludos yo tú
    usted mi mis tus el los las una y o con para siguiente siguientes continuación abajo aquí
    aqui eres estás estas está esta pregunta solicitud petición peticion tarea mensaje
    respuesta responde responder contesta contestar ayuda ayudas ayudar ayudarme ayúdame puedes
    podrías español inglés espero estés que saludo consulta os equipo este esto
    ciao buongiorno buonasera salve grazie mille favore piacere io mio mia lo gli di da su
    seguente seguenti seguito sotto ecco è sei domanda richiesta compito messaggio risposta
    rispondi rispondere aiuto aiuti aiutami aiutarmi puoi potresti italiano inglese spero stia stai bene
    questa questo con per
    olá ola oi bom boa dia obrigado obrigada você voce meu minha os um em abaixo pedido
    solicitação tarefa mensagem responda ajude ajuda ajudar pode poderia português portugues
    com seguinte seguintes questão pergunta isto isso esta este
    hallo goedemorgen goedemiddag goedenavond hoi alstublieft alsjeblieft bedankt dank alvast
    ik je jij u me mij mijn jouw we wij ons onze de het een en of van voor met op in aan hier
    volgende onderstaande hieronder vraag vragen verzoek taak bericht antwoord antwoorden
    beantwoord help helpen hulp kun kunt kunnen zou zoudt graag groet groeten vriendelijke
    nederlands engels hoop goed gaat
    """
)
#: Of those, the words that mark a sentence as framing (a sentence of pronouns and articles
#: alone, "That'd look good", may be the task itself): greetings and thanks, names of the
#: request, the reply or the assistant, deictics pointing at the request, verbs of replying and
#: adjectives of answer style. Language names are not markers: "French → English:" is a task.
_FRAMING_MARKERS = _word_set(
    """
    hi hello hey heya hiya greetings dear morning afternoon evening please pls plz kindly thanks
    thank thx cheers regards sincerely advance appreciate appreciated grateful hope hoping
    following follows below beneath request requests question questions query queries prompt
    prompts message messages task tasks instruction instructions input inquiry enquiry response
    responses answer answers answering reply replies replying respond responds responding output
    thoughts user assistant chatbot bot ai model conversation chat help helps helping assist assists
    assisting appropriately carefully accurately accurate concise concisely brief briefly
    succinct thorough thoroughly helpful honest harmless precise precisely polite politely
    truthful
    bonjour salut coucou bonsoir merci avance svp plaît plait dessous suivant suivante suivants
    suivantes voici demande requête tâche consigne réponse réponds répondez répondre aide aider
    aidez aides cordialement espère
    hallo bitte danke dank voraus folgende folgenden folgendes unten frage fragen anfrage aufgabe
    nachricht antwort antworte antworten beantworte hilf hilfe helfen hilfst gruß grüße hoffe
    hola gracias favor antemano saludos siguiente siguientes continuación abajo pregunta
    solicitud petición peticion tarea mensaje respuesta responde responder contesta contestar
    ayuda ayudas ayudar ayudarme ayúdame espero
    ciao buongiorno buonasera salve grazie seguente seguenti sotto ecco domanda richiesta compito
    messaggio risposta rispondi rispondere aiuto aiuti aiutami aiutarmi spero
    olá ola oi obrigado obrigada abaixo pedido solicitação tarefa mensagem responda ajude ajuda ajudar
    seguinte seguintes questão pergunta
    goedemorgen goedemiddag goedenavond hoi alstublieft alsjeblieft bedankt dank alvast volgende
    onderstaande hieronder vraag vragen verzoek taak bericht antwoord antwoorden beantwoord helpen
    hulp groet groeten
    """
)
#: A sentence: an optional opening bracket, text, then its closing punctuation and line breaks.
_SENTENCE = re.compile(r"[(\[{]*[^.!?:;\n()\[\]{}]*[.!?:;\n)\]}]*")
#: Quotation marks: a sentence holding one quotes content ("Translate: "thanks a lot"").
_QUOTES = frozenset('"“”«»„')
_WORD = re.compile(r"\w+")
_SEPARATOR = re.compile(r"[\s\-*_~#]*")
#: How far into the prompt, and back from its end, framing sentences are looked for.
_FRAME_SCAN_CHARS = 600
#: The trailing scan first splits only this many last characters (see :func:`_drop_trailing_framing`).
_FRAME_NEAR_CHARS = 200
_FRAME_MAX_WORDS = 30


def count_words(text: str) -> int:
    """Words of two or more characters that start with a letter, plus one per two characters of
    the scripts written without spaces (kana, CJK ideographs, hangul)."""
    words = sum(1 for w in text.split() if len(w) > 1 and w[0].isalpha())
    if not text.isascii():
        words += sum(1 for c in text if "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7a3") // 2
    return words


#: A cut the learned detector took part in must leave at least this many words of request.
_MIN_REQUEST_WORDS = 3


def _is_framing(sentence: str) -> bool:
    """A sentence that frames the request without saying anything about it: an assistant persona,
    a separator line (``---``), or words of :data:`_FRAMING_WORDS` only, one of them a marker.

    Most sentences are content and fail at their first word outside :data:`_FRAMING_WORDS`, so
    the words are read one by one and the whole sentence is only read for a persona or framing."""
    if _PERSONA.match(sentence) is None:
        marked = False
        count = 0
        for count, match in enumerate(_WORD.finditer(sentence.casefold()), 1):
            word = match.group()
            if word not in _FRAMING_WORDS or count > _FRAME_MAX_WORDS:
                return False
            marked = marked or word in _FRAMING_MARKERS
        if not count:
            return _SEPARATOR.fullmatch(sentence) is not None
        return marked and _QUOTES.isdisjoint(sentence)
    return _QUOTES.isdisjoint(sentence) and len(_WORD.findall(sentence.casefold())) <= _FRAME_MAX_WORDS


def _is_framing_line(line: str) -> bool:
    """A line every sentence of which is framing by :func:`_is_framing` (a persona opening a line
    does not make the request after it framing)."""
    return all(_is_framing(sentence) for sentence in _iter_sentences(line))


def _detected_sentence(sentence: str, detector: FramingJudge) -> bool:
    return detector.is_framing(sentence)


def _detected_line(line: str, detector: FramingJudge) -> bool:
    """A line the detector takes for framing, none of whose sentences it takes for content
    ("Dear team, I am writing about this. Write a haiku about autumn." is not framing)."""
    if not detector.is_framing(line):
        return False
    sentences = _sentences(line)
    return len(sentences) < 2 or all(detector.is_framing(s) or not detector.judges(s) for s in sentences)


#: How a text is cut into pieces for the framing scan, the word rule for one piece, and how the
#: detector judges one.
#: The pieces come one by one: a scan from the start stops at the first that is not framing.
_Pieces = tuple[Callable[[str], Iterator[str]], Callable[[str], bool], Callable[[str, FramingJudge], bool]]


def _judged_framing(piece: str, pieces: _Pieces, detector: FramingJudge | None) -> tuple[bool, bool]:
    """(framing, by the detector): the word rule first, then ``detector`` if given."""
    _, rule, detected = pieces
    if rule(piece):
        return True, False
    if detector is not None and detected(piece, detector):
        return True, True
    return False, False


def remove_scaffold(text: str) -> str:
    """``text`` with chat scaffolding (template tokens, role tags and labels) replaced by spaces.
    Role labels go first: neither kind can hold or start inside the other (tokens open with ``<``
    or ``[`` and never span a line break), so this equals one pass over both."""
    if ":" in text:
        text = _sub_at_line_starts(_ROLE_LABEL, text)
    if "<" in text or "[" in text:
        text = _SCAFFOLD_TOKEN.sub(" ", text)
    return text


def _sub_at_line_starts(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with each match of ``pattern`` (a line break, then what is looked for at a line's
    start) replaced by a line break and a space, and a match at the text's start by a space."""
    if (first := pattern.match("\n" + text)) is not None:
        text = " " + text[first.end() - 1 :]
    return pattern.sub("\n ", text)


def _iter_sentences(text: str) -> Iterator[str]:
    for match in _SENTENCE.finditer(text):
        if sentence := match.group():
            yield sentence


def _sentences(text: str) -> list[str]:
    return list(_iter_sentences(text))


_LINE = re.compile(r"[^\n]*\n(?:[ \t]*\n)*|[^\n]+")


def _iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its line break and the blank lines after it (as a
    sentence holds the line breaks after it)."""
    return (match.group() for match in _LINE.finditer(text))


_SENTENCE_PIECES: _Pieces = (_iter_sentences, _is_framing, _detected_sentence)
_LINE_PIECES: _Pieces = (_iter_lines, _is_framing_line, _detected_line)


class _Remembered:
    """A detector that judges each distinct sentence once (a one-sentence line is judged as a line,
    then as a sentence)."""

    def __init__(self, detector: FramingJudge) -> None:
        self.detector = detector
        self.seen: dict[str, bool] = {}

    def judges(self, sentence: str) -> bool:
        return self.detector.judges(sentence)

    def is_framing(self, sentence: str) -> bool:
        key = sentence.strip()
        if key not in self.seen:
            self.seen[key] = self.detector.is_framing(sentence)
        return self.seen[key]


def _drop_leading_framing(
    text: str, detector: FramingJudge | None = None, pieces: _Pieces = _SENTENCE_PIECES
) -> tuple[str, bool]:
    """``text`` without the framing pieces (sentences or lines) that open it, kept whole when
    nothing else is left, and whether the detector took part in the cut. The detector does not
    judge the prompt's last piece, and a cut it took part in must leave
    :data:`_MIN_REQUEST_WORDS` words."""
    split = pieces[0]
    head = text[:_FRAME_SCAN_CHARS]
    end = len(text.rstrip())
    cut = 0
    learned = False
    for piece in split(head):
        framing, by_detector = _judged_framing(piece, pieces, detector if cut + len(piece) < end else None)
        if not framing:
            break
        learned |= by_detector
        cut += len(piece)
    else:
        return text, False  # framing only, or no end of framing within the scan window
    if learned and count_words(text[cut:]) < _MIN_REQUEST_WORDS:
        return text, False
    return text[cut:], learned


#: A header field opening a prompt: a key of at most three words, a colon, a short value
#: ("From: Ana <ana@example.com>", "Ticket-ID: 4411", "Submitted: 2024-05-02 14:27").
_HEADER_FIELD = re.compile(r"[^\W\d_][\w.'/#-]*(?:[ \t][\w.'/#-]+){0,2}[ \t]*:(?:[ \t]+.{0,80})?")
_RULE_CHARS = frozenset("-=_*~ \t")
#: A signature: one to three capitalised names, perhaps after a dash ("— Alex", "Maria Lopez").
_SIGNATURE = re.compile(r"[\s\-–—~]*(?:[^\W\d_][\w'.-]*)(?:[ \t]+[^\W\d_][\w'.-]*){0,2}\s*")


def _drop_header_block(text: str) -> str:
    """``text`` without a block of at least three header fields that opens it (mail, ticket or
    form headers: ``From:``, ``Date:``, ``Subject:``), with the rule and banner lines among them
    (``---------- Forwarded message ---------``). Keys start with a capital letter or an uncased
    script; the block must leave at least three words."""
    if ":" not in text[: 2 * _FRAME_SCAN_CHARS]:
        return text
    lines = text[: 2 * _FRAME_SCAN_CHARS].split("\n")[:-1]
    fields = cut = 0
    for line in lines:
        bare = line.strip(" \t>")
        banner = bare[:3] in ("---", "===", "***", "___") and bare[-3:] == bare[:3]
        if bare and not banner and not set(bare) <= _RULE_CHARS:
            if bare[0].islower() or _HEADER_FIELD.fullmatch(bare) is None:
                break
            fields += 1
        cut += len(line) + 1
    if fields < 3 or len(text[cut:].split()) < 3:
        return text
    return text[cut:]


def _is_signature(piece: str) -> bool:
    """A name signing a message: one to three capitalised words, perhaps after a dash."""
    words = piece.split()
    return (
        len(piece) <= 40
        and _SIGNATURE.fullmatch(piece) is not None
        and all(w[0].isupper() for w in words if w[0].isalpha())
    )


def _drop_trailing_framing(
    text: str, detector: FramingJudge | None = None, pieces: _Pieces = _SENTENCE_PIECES
) -> tuple[str, bool]:
    """``text`` without the framing pieces (sentences or lines) that close it, and a name signing
    them, and whether the detector took part in the cut. The detector does not judge the prompt's
    first piece.

    Whether a piece ends at a position depends only on the text from there on, never on where the
    split started (a sentence ends between its closing punctuation and what follows, or before an
    opening bracket; a line after its line break and the blank lines under it), and a split started
    anywhere ends its first piece at the first such position. So the pieces of the last
    :data:`_FRAME_NEAR_CHARS` characters, less the first, are the last pieces of the whole scan
    window. Those are scanned first; the whole window is split only when they are all framing (or
    too few to tell a signature)."""
    split = pieces[0]
    start = max(0, len(text) - _FRAME_SCAN_CHARS)
    begin = len(text) - len(text.lstrip())
    scan = None
    if (near := len(text) - _FRAME_NEAR_CHARS) > start:
        parts = list(split(text[near:]))[1:]
        if len(parts) > 1:
            scan = _scan_from_end(text, parts, begin, detector, pieces)
            if scan.exhausted:
                scan = None  # every one framing: the whole window decides
    if scan is None:
        parts = list(split(text[start:]))
        if start:
            parts = parts[1:]  # the first piece may be cut: it is taken for the request's end
        scan = _scan_from_end(text, parts, begin, detector, pieces)
        if scan.exhausted and not start:
            return text, False  # framing only
    keep, signed, learned, _ = scan
    if signed or (learned and count_words(text[:keep]) < _MIN_REQUEST_WORDS):
        return text, False
    return text[:keep], learned


class _TrailingScan(NamedTuple):
    keep: int  # where the kept text ends
    signed: bool  # only a signature was dropped
    learned: bool  # the detector took part
    exhausted: bool  # every piece was framing


def _scan_from_end(
    text: str, parts: list[str], begin: int, detector: FramingJudge | None, pieces: _Pieces
) -> _TrailingScan:
    """The trailing scan over ``parts``, the last pieces of ``text``."""
    keep = len(text)
    signed = False  # only a name has been dropped so far: kept unless framing precedes it
    learned = False
    for i, piece in enumerate(reversed(parts)):
        if i == 0 and len(parts) > 1 and _is_signature(piece):
            signed = True
            keep -= len(piece)
            continue
        framing, by_detector = _judged_framing(piece, pieces, detector if keep - len(piece) > begin else None)
        if not framing:
            return _TrailingScan(keep, signed, learned, exhausted=False)
        signed = False
        learned |= by_detector
        keep -= len(piece)
    return _TrailingScan(keep, signed, learned, exhausted=True)


def strip_framing(text: str, leading: bool = True, trailing: bool = True, detector: FramingJudge | None = None) -> str:
    """``text`` without chat scaffolding (template tokens, role tags and labels) and without the
    instruction-free framing sentences around the request: a persona, a greeting, "Please respond
    to the request below.", "Thanks in advance!". Line breaks, question marks and case are kept,
    so structural features can read the result. Nothing is removed when nothing else would remain.
    ``detector`` (see :mod:`classifier._framing`) recognises framing sentences the word rule misses.
    Whole lines are judged first, from each end (a ticket line, "Ticket #4411 | Priority: Low",
    splits at its colons into fragments too short to judge), then sentences, from each end; the
    detector takes part in one of the two at each end.
    """
    if leading:
        text = _drop_header_block(text.lstrip())
    text = remove_scaffold(text)
    judge = _Remembered(detector) if detector is not None else None
    lines_cut_at_start = lines_cut_at_end = False  # by the detector
    if leading:
        text, lines_cut_at_start = _drop_leading_framing(text.lstrip(), judge, _LINE_PIECES)
        if lines_cut_at_start:  # a title line may sit above a header block ("Ticket #{id} | Priority: Low")
            text = _drop_header_block(text)
    if trailing:
        text, lines_cut_at_end = _drop_trailing_framing(text.rstrip(), judge, _LINE_PIECES)
    # the detector cuts at most once at each end: lines, or else sentences
    if leading:
        text = _drop_leading_framing(text.lstrip(), None if lines_cut_at_start else judge)[0]
    if trailing:
        text = _drop_trailing_framing(text.rstrip(), None if lines_cut_at_end else judge)[0]
    return text.strip()


#: Sentence punctuation becomes a space; every ASCII digit becomes 0.
_CLEAN_TABLE = str.maketrans({**{ch: " " for ch in "?!.,;:\"'«»“”‘’¿¡…\t\n\r"}, **{d: "0" for d in "123456789"}})
_MATH_CHARS = tuple("$\\^=+<>∑∫√π≤≥±×÷∞≠≈")
_CODE_MARKERS = ("```", "def ", "return", "{", ";", "()", "=>", "import ", "#include", "class ")

#: Names of the structural features, in column order.
STRUCTURAL_FEATURES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "log_lines",
    "digit_share",
    "log_numbers",
    "log_math_symbols",
    "log_latex_commands",
    "log_code_markers",
    "log_indented_lines",
    "log_extra_questions",
    "non_ascii_share",
)


#: Longest cleaned text that is hashed (cleaning can lengthen a bounded text slightly).
MAX_HASHED_CHARS = 1 << 14


@cache
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """``P**i`` and ``P**-i`` modulo 2**64 for i <= MAX_HASHED_CHARS; computed once, lazily."""
    pw = np.empty(MAX_HASHED_CHARS + 1, dtype=np.uint64)
    inv = np.empty(MAX_HASHED_CHARS + 1, dtype=np.uint64)
    p, q = 1, 1
    for i in range(MAX_HASHED_CHARS + 1):
        pw[i], inv[i] = p, q
        p = (p * int(_P)) % 2**64
        q = (q * int(_P_INV)) % 2**64
    return pw, inv


def bound_text(text: str, head_chars: int, tail_chars: int, detector: FramingJudge | None = None) -> str:
    """``text`` without its framing (:func:`strip_framing`), which is looked for only in the first
    ``head_chars`` and the last ``tail_chars`` characters of a long prompt. A chat flattened into a
    prompt of at most ``head_chars + tail_chars`` characters is first cut to its newest user turn
    (:func:`classifier._turns.newest_user_turn`); a longer one is not (its middle is not read)."""
    if len(text) <= head_chars + tail_chars:
        return strip_framing(newest_user_turn(text), detector=detector)
    middle_end = len(text) - tail_chars if tail_chars else len(text)
    head = strip_framing(text[:head_chars], trailing=False, detector=detector)
    tail = strip_framing(text[middle_end:], leading=False, detector=detector) if tail_chars else ""
    # stripping trims the white space at the cuts too: keep one, or two words would be glued
    if text[head_chars - 1].isspace():
        head += " "
    if tail and text[middle_end].isspace():
        tail = " " + tail
    return head + text[head_chars:middle_end] + tail


#: :data:`_CLEAN_TABLE` as an array over code points, with every white-space character (as
#: ``str.split`` sees it) mapped to a space; code points beyond it are left alone.
_FOLD_SIZE = 0x3001
_FOLD = np.arange(_FOLD_SIZE, dtype=np.uint32)
_FOLD[[c for c in range(_FOLD_SIZE) if chr(c).isspace()]] = 32
for _key, _value in _CLEAN_TABLE.items():
    _FOLD[_key] = ord(str(_value))


#: :data:`_FOLD`'s ASCII part as a ``str.translate`` table (white space mapped to a space too): on
#: ASCII text, runs of spaces are then collapsed by one regex, without a list of words.
_ASCII_CLEAN_TABLE: dict[int, str | int] = {c: int(_FOLD[c]) for c in range(128) if _FOLD[c] != c}
_SPACE_RUN = re.compile("  +")


def fold_punctuation(text: str) -> str:
    """``text`` with sentence punctuation and runs of white space turned into single spaces and
    digits folded to ``0``, padded with a space at each end (see :data:`_CLEAN_TABLE`).

    ``str.translate`` is fast on ASCII text only (a single "é" or "’" makes it look every
    character up in a dict, 100 us on 2,000 characters), so other text is folded in numpy."""
    if text.isascii():
        spaced = text.translate(_ASCII_CLEAN_TABLE)
        if "  " in spaced:
            spaced = _SPACE_RUN.sub(" ", spaced)
        return " " + spaced.strip(" ") + " "
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = np.where(cp < _FOLD_SIZE, _FOLD[np.minimum(cp, _FOLD_SIZE - 1)], cp)
    space = folded == 32
    keep = ~space
    keep[1:] |= ~space[:-1]  # the first space of a run, unless it opens the text
    kept = folded[keep]
    if kept.size and kept[-1] == 32:
        kept = kept[:-1]
    return " " + kept.tobytes().decode("utf-32-le", "surrogatepass") + " "


def clean_text(text: str, head_chars: int, tail_chars: int, stripped: bool = False) -> str:
    """The bounded, case-folded, format-neutral copy of ``text`` that n-grams are read from
    (``stripped``: ``text`` has already been through :func:`bound_text`)."""
    return fold_punctuation(_unfolded(text, head_chars, tail_chars, stripped))


def clean_code_points(text: str, head_chars: int, tail_chars: int, stripped: bool = False) -> np.ndarray:
    """The code points of :func:`clean_text`, as :func:`hash_ngrams` takes them."""
    return folded_code_points(_unfolded(text, head_chars, tail_chars, stripped))


def _unfolded(text: str, head_chars: int, tail_chars: int, stripped: bool) -> str:
    """:func:`clean_text` before :func:`fold_punctuation`."""
    if not stripped:
        text = bound_text(text, head_chars, tail_chars)
    if len(text) > head_chars + tail_chars:
        text = text[:head_chars] + " " + text[-tail_chars:] if tail_chars else text[:head_chars]
    text = text.casefold()
    if "\n" in text:
        text = _sub_at_line_starts(_OPTION_LABEL, text)
    stripped_text = text.rstrip()
    for marker in _TRAILING_ANSWERS:
        if stripped_text.endswith(marker):
            return stripped_text[: -len(marker)]
    return text


def folded_code_points(text: str) -> np.ndarray:
    """The code points of :func:`fold_punctuation`'s result (``uint64``): by the compiled helper
    when it was built (see :mod:`classifier._compiled`), which reads them off ``text`` directly."""
    if speedups is not None:
        return np.frombuffer(speedups.fold_code_points(text, _FOLD), dtype=np.uint64)
    return _code_points(fold_punctuation(text))


#: The salts and the mixing constant, as the compiled hashing takes them.
_COMPILED_KEYS = tuple(int(k) for k in (_SALT_CHAR, _SALT_WORD, _SALT_FIRST, _MIX))


def _code_points(text: str) -> np.ndarray:
    data = text.encode("utf-32-le", "surrogatepass")
    return np.frombuffer(data, dtype=np.uint32).astype(np.uint64)


def hash_ngrams(
    cp: np.ndarray,
    char_ngrams: tuple[int, int],
    word_ngrams: tuple[int, int],
    bits: int,
    first_words: bool = True,
) -> np.ndarray:
    """Bucket ids (``0 <= id < 2**bits``) of every char and word n-gram, and (with ``first_words``)
    of the first word and first two words, of a cleaned text given as code points (starting and
    ending with a space; ``uint64``, see :func:`_code_points`). Word n-grams of up to 64 words, 1
    to 63 bits. Computed by the compiled twin when it was built (see :mod:`classifier._compiled`),
    else in numpy: the same ids either way."""
    if word_ngrams[1] > _MAX_WORD_NGRAM or not 0 < bits < 64:
        raise ValueError(f"word n-grams of at most {_MAX_WORD_NGRAM} words and 1 to 63 bits, got {word_ngrams}, {bits}")
    if speedups is not None and char_ngrams[0] >= 1 and cp.dtype == np.uint64 and cp.flags.c_contiguous:
        pw, inv = _powers()
        ids = speedups.hash_ngrams(cp, pw, inv, *char_ngrams, *word_ngrams, bits, first_words, *_COMPILED_KEYS)
        return np.frombuffer(ids, dtype=np.int64)
    return hash_ngrams_numpy(cp, char_ngrams, word_ngrams, bits, first_words)


def hash_ngrams_numpy(
    cp: np.ndarray,
    char_ngrams: tuple[int, int],
    word_ngrams: tuple[int, int],
    bits: int,
    first_words: bool = True,
) -> np.ndarray:
    """:func:`hash_ngrams` in numpy (the definition the compiled twin follows)."""
    n = cp.size
    pw, inv = _powers()
    # prefix[i] = sum_{j<i} cp[j] * P**-j ; hash(s, e) = (prefix[e] - prefix[s]) * P**(e-1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.add.accumulate(cp * inv[:n], out=prefix[1:])
    spaces = (cp == 32).nonzero()[0]
    words = spaces.size - 1
    char_sizes = [size for size in range(char_ngrams[0], char_ngrams[1] + 1) if n >= size]
    word_sizes = [size for size in range(word_ngrams[0], word_ngrams[1] + 1) if 1 <= size <= words]
    # every hash is written in place into one array: no temporaries, no concatenation
    out = np.empty(
        sum(n - size + 1 for size in char_sizes) + sum(words - size + 1 + bool(first_words) for size in word_sizes),
        dtype=np.uint64,
    )
    at = 0
    for size in char_sizes:
        # every start s in 0..n-size: (prefix[s+size] - prefix[s]) * P**(s+size-1), as slices
        h = out[at : at + n - size + 1]
        np.subtract(prefix[size:], prefix[: n - size + 1], out=h)
        np.multiply(h, pw[size - 1 : n], out=h)
        at += h.size
    np.bitwise_xor(out[:at], _SALT_CHAR, out=out[:at])
    if word_sizes:
        # the prefix sums at every word start and end, gathered once for all n-gram sizes
        at_start, at_end, power = prefix[1:][spaces[:-1]], prefix[spaces[1:]], pw[spaces[1:] - 1]
        for size in word_sizes:
            h = out[at : at + words - size + 1]
            np.subtract(at_end[size - 1 :], at_start[: words - size + 1], out=h)
            np.multiply(h, power[size - 1 :], out=h)
            at += h.size
            if first_words:  # the opening words say what is asked ("translate", "prove", "résous")
                out[at] = h[0] ^ _FIRST_SALTS[size]
                at += 1
            np.bitwise_xor(h, _WORD_SALTS[size], out=h)
    np.multiply(out, _MIX, out=out)
    np.right_shift(out, _SHIFTS[bits], out=out)
    return out.view(np.int64)


#: Character classes of the cleaned text counted by :func:`structural_features`, by code point
#: (code points past the table are of its last class): one ``bincount`` reads them all.
_OTHER, _ZERO, _SPACE, _MATH, _NON_ASCII, _NON_ASCII_MATH = range(6)
#: One entry past the highest math symbol: it is of class ``_NON_ASCII``, and every higher code
#: point is clipped to it.
_CLASS_SIZE = max(map(ord, _MATH_CHARS)) + 2
_CLASS = np.full(_CLASS_SIZE, _NON_ASCII, dtype=np.int64)
_CLASS[:128] = _OTHER
_CLASS[[ord("0"), ord(" ")]] = _ZERO, _SPACE
_CLASS[[ord(c) for c in _MATH_CHARS]] = [_MATH if c.isascii() else _NON_ASCII_MATH for c in _MATH_CHARS]


#: What :func:`structural_features` counts in the raw prompt's head: backslashes (LaTeX), question
#: marks, indented lines (spaces, tab), then the code markers.
_HEAD_NEEDLES = ("\\", "?", "\n    ", "\n\t", *_CODE_MARKERS)


def structural_features(text: str, cp: np.ndarray, head_chars: int) -> np.ndarray:
    """Cheap, format-neutral signals of a prompt's shape (see :data:`STRUCTURAL_FEATURES`).

    ``cp`` is the hashed cleaned text's code points (digits already folded to ``0``); counts that
    need what cleaning removes (line breaks, question marks) read the raw ``text``. The cleaned
    text's characters are counted by class (:data:`_CLASS`) in one pass, the needles of the raw
    text's head too (:data:`_HEAD_NEEDLES`), by the compiled helpers when they were built.
    """
    n = max(cp.size, 1)
    counts, digit_runs = _class_counts(cp)
    backslashes, questions, indented_spaces, indented_tabs, *markers = _count_substrings(
        text, head_chars, _HEAD_NEEDLES
    )
    values = (
        math.log1p(len(text)),
        math.log1p(max(counts[_SPACE] - 1, 0)),
        math.log1p(text.count("\n")),
        counts[_ZERO] / n,
        math.log1p(digit_runs),
        math.log1p(counts[_MATH] + counts[_NON_ASCII_MATH]),
        math.log1p(backslashes),
        math.log1p(sum(markers)),
        math.log1p(indented_spaces + indented_tabs),
        math.log1p(max(0, questions - 1)),
        (counts[_NON_ASCII] + counts[_NON_ASCII_MATH]) / n,
    )
    return np.asarray(values, dtype=np.float64)


def _class_counts(cp: np.ndarray) -> tuple[list[int], int]:
    """How many code points fall in each class of :data:`_CLASS`, and the runs of ``0`` that start
    after the first code point."""
    if speedups is not None and cp.dtype == np.uint64 and cp.flags.c_contiguous:
        classes, runs = speedups.class_counts(cp, _CLASS, _NON_ASCII_MATH + 1)
        return list(classes), runs
    counts = np.bincount(_CLASS[np.minimum(cp, _CLASS_SIZE - 1)], minlength=_NON_ASCII_MATH + 1).tolist()
    return counts, _digit_runs(cp) if counts[_ZERO] else 0


def _count_substrings(text: str, end: int, needles: tuple[str, ...]) -> tuple[int, ...]:
    """``text[:end].count(needle)`` for each needle."""
    if speedups is not None:
        counted: tuple[int, ...] = speedups.count_substrings(text, end, needles)
        return counted
    head = text[:end]
    return tuple(head.count(needle) for needle in needles)


def _digit_runs(cp: np.ndarray) -> int:
    is_digit = cp == 48
    return int(np.count_nonzero(is_digit[1:] & ~is_digit[:-1]))


class PromptFeaturizer(TransformerMixin, BaseEstimator):
    """Turns prompts into a sparse matrix: idf-weighted hashed n-gram counts scaled to unit
    "idf mass", then standardised structural features scaled by ``structural_weight``.

    Each n-gram occurrence contributes ``idf[bucket]``; the block is divided by
    ``sqrt(sum over occurrences of idf**2)``, which equals the l2 norm when no bucket repeats and
    needs no de-duplication at prediction time (see :meth:`TierClassifier.predict_proba`).

    Parameters
    ----------
    bits : int
        The n-gram hash space has ``2**bits`` buckets.
    char_ngrams, word_ngrams : (int, int)
        Inclusive ranges of character and word n-gram sizes.
    head_chars, tail_chars : int
        Bound on the text n-grams read: its first ``head_chars`` and last ``tail_chars``.
    structural_weight : float
        Multiplier of the standardised structural block relative to the n-gram block.
    first_words : bool
        Also hash the first word and the first two words as features of their own.
    norm_power : float
        The n-gram block is divided by ``(idf mass) ** norm_power``: 1 gives unit norm; below 1,
        padding a prompt with unrelated words (a chat preamble) dilutes its own n-grams less.
    framing_cutoff : float or None
        N-gram buckets the framing detector (``framing_detector_``, set before fitting) weighs
        above this are given idf 0: they say how a request is framed, not how hard it is, so
        framing the stripping misses neither moves the tier nor dilutes the request's n-grams.
    verbose : bool
        Show a progress bar while extracting features.
    """

    def __init__(
        self,
        bits: int = 16,
        char_ngrams: tuple[int, int] = (3, 5),
        word_ngrams: tuple[int, int] = (1, 2),
        head_chars: int = 3000,
        tail_chars: int = 1000,
        structural_weight: float = 0.25,
        first_words: bool = True,
        norm_power: float = 0.8,
        framing_cutoff: float | None = 2.0,
        verbose: bool = False,
    ) -> None:
        self.bits = bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.head_chars = head_chars
        self.tail_chars = tail_chars
        self.structural_weight = structural_weight
        self.first_words = first_words
        self.norm_power = norm_power
        self.framing_cutoff = framing_cutoff
        self.verbose = verbose

    @property
    def n_hashed(self) -> int:
        return 1 << self.bits

    def extract(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram bucket ids (with repeats) and the raw structural features of one prompt."""
        text = bound_text(text, self.head_chars, self.tail_chars, getattr(self, "framing_detector_", None))
        cp = clean_code_points(text, self.head_chars, self.tail_chars, stripped=True)[:MAX_HASHED_CHARS]
        buckets = hash_ngrams(cp, self.char_ngrams, self.word_ngrams, self.bits, self.first_words)
        return buckets, structural_features(text, cp, self.head_chars)

    def _extract_all(self, texts: list[str], what: str) -> tuple[list[np.ndarray], np.ndarray]:
        rows = tqdm(texts, desc=what, unit="prompt", disable=not self.verbose, leave=False)
        buckets, dense = [], np.empty((len(texts), len(STRUCTURAL_FEATURES)))
        for i, text in enumerate(rows):
            b, dense[i] = self.extract(text)
            buckets.append(b.astype(np.int32))
        return buckets, dense

    def _fit_extracted(self, buckets: list[np.ndarray], dense: np.ndarray) -> None:
        df = np.zeros(self.n_hashed, dtype=np.int64)
        for b in buckets:
            df[np.unique(b)] += 1
        n = len(buckets)
        self.idf_ = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        detector = getattr(self, "framing_detector_", None)
        if detector is not None and self.framing_cutoff is not None:
            if detector.bits != self.bits:
                raise ValueError(
                    f"the framing detector hashes into 2**{detector.bits} buckets, the features 2**{self.bits}"
                )
            self.idf_[detector.weights_ > self.framing_cutoff] = 0.0
        self.structural_mean_ = dense.mean(axis=0) if n else np.zeros(dense.shape[1])
        std = dense.std(axis=0) if n else np.ones(dense.shape[1])
        self.structural_scale_ = np.where(std > 0, std, 1.0)
        self.n_features_out_ = self.n_hashed + len(STRUCTURAL_FEATURES)

    def fit(self, X: Iterable[str], y: object = None) -> PromptFeaturizer:
        self._fit_extracted(*self._extract_all(list(X), "features"))
        return self

    def fit_transform(self, X: Iterable[str], y: object = None, **fit_params: object) -> sp.csr_matrix:
        buckets, dense = self._extract_all(list(X), "features")
        self._fit_extracted(buckets, dense)
        return self._matrix(buckets, dense)

    def scale_dense(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.structural_mean_) / self.structural_scale_ * self.structural_weight

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "idf_")
        return self._matrix(*self._extract_all(list(X), "features"))

    def _matrix(self, buckets: list[np.ndarray], dense: np.ndarray) -> sp.csr_matrix:
        n_struct = len(STRUCTURAL_FEATURES)
        struct_idx = np.arange(self.n_hashed, self.n_hashed + n_struct)
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for b, raw in zip(buckets, dense, strict=True):
            weights = self.idf_[b].astype(np.float64)
            mass = float(np.dot(weights, weights)) ** (0.5 * self.norm_power)
            indices.extend((b, struct_idx))
            data.extend((weights / mass if mass > 0 else weights, self.scale_dense(raw)))
            indptr.append(indptr[-1] + b.size + n_struct)
        matrix = sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
                np.asarray(indptr),
            ),
            shape=(len(indptr) - 1, self.n_features_out_),
        )
        matrix.sum_duplicates()
        return matrix
