"""The newest user turn of a chat flattened into one prompt.

Apps and front-ends often send a whole chat as one prompt string: a system prompt, perhaps a few
earlier turns, the user's request, and a cue for the assistant's reply::

    <s>[INST] <<SYS>>\\nYou are a helpful, respectful and honest assistant. ...\\n<</SYS>>\\n\\n{request} [/INST]
    You are ChatGPT, a large language model ...\\nCurrent date: ...\\n\\nUser: {request}\\nAssistant:

The router reads the newest user turn of a structured request and never the system instruction
(:mod:`router.prompt`); :func:`newest_user_turn` does the same for a flattened one. A system prompt
says who the assistant is, not how hard the request is, and a long one outweighs the request.

Only a prompt that is plainly a chat waiting for its reply is cut: it has a user-turn marker; the
text before the first marker of that kind is empty (bar template tokens such as ``<s>``) or names the
assistant ("You are ...", "The assistant is ...", "... language model ..."); and after the last user
turn come only markers of the same kind (an assistant cue, an end-of-turn token), never text. So a
transcript given as material ("Summarise this chat:\\nUser: ...\\nAgent: ...") is left whole.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_USER_WORDS = (
    r"user|human|utilisateur|utilisatrice|usager|nutzer|nutzerin|benutzer|benutzerin|usuario|usuaria"
    r"|utente|usuário|usuária|utilizador|gebruiker"
)
_SYSTEM_WORDS = r"system|système|systeme|sistema|systeem"
_ASSISTANT_WORDS = r"assistant|assistente|assistent|assistentin|asistente|ai|ia|ki|bot|chatbot|model|gpt"

#: Template tokens by family; a token's role is the role word in it (none: an end-of-turn token).
_TOKENS: tuple[tuple[str, str], ...] = (
    ("chatml", r"<\|im_start\|>[ \t]*(?:system|user|assistant)\b|<\|im_end\|>"),
    ("llama3", r"<\|start_header_id\|>[ \t]*(?:system|user|assistant)[ \t]*<\|end_header_id\|>|<\|eot_id\|>"),
    ("pipe", r"<\|(?:system|user|assistant)\|>|<\|end\|>|</s>"),
    ("llama2", r"<<SYS>>|<</SYS>>|\[INST\]|\[/INST\]"),
    ("gemma", r"<start_of_turn>[ \t]*(?:user|model)\b|<end_of_turn>"),
    ("deepseek", r"<｜(?:User|Assistant)｜>"),
    ("tag", rf"</?(?:{_USER_WORDS}|{_SYSTEM_WORDS}|{_ASSISTANT_WORDS})>"),
    ("bracket", rf"\[(?:{_USER_WORDS}|{_SYSTEM_WORDS}|{_ASSISTANT_WORDS})\]"),
)
_TOKEN = re.compile("|".join(f"(?P<{family}>{pattern})" for family, pattern in _TOKENS), re.IGNORECASE)
_ROLE_WORD = re.compile(rf"\b(?:{_USER_WORDS}|{_SYSTEM_WORDS}|{_ASSISTANT_WORDS})\b", re.IGNORECASE)
#: A role label opening a line ("User:", "### System:", "Utilisateur :", "User question:").
#: Matched in "\n" + text: a line break first lets the regex engine jump between line breaks.
_LABEL = re.compile(
    rf"\n[ \t#>*]*({_USER_WORDS}|{_SYSTEM_WORDS}|{_ASSISTANT_WORDS})"
    r"(?:[ \t]+(?:message|request|prompt|query|question|input|turn))?[ \t]*:",
    re.IGNORECASE,
)
#: The upper-case labels some formats write inline ("... polite answers. USER: ... ASSISTANT:").
_INLINE_LABEL = re.compile(r"[.!?] (USER|HUMAN|SYSTEM|ASSISTANT):")
#: Tokens that open a prompt without a role (beginning of sequence).
_OPENING_TOKENS = re.compile(r"\s*(?:<s>|<bos>|<\|begin_of_text\|>|<\|endoftext\|>|<｜begin▁of▁sentence｜>)*\s*")
#: An opening that names the assistant or a model ("You are a helpful assistant.", "The assistant
#: is Claude", "Tu es Lumi, un grand modèle de langage"). "You are" alone is not enough: "You are
#: given a list of numbers." opens many requests.
_NAMES_ASSISTANT = re.compile(
    r"\b(?:assistant|assistente|assistent|assistentin|asistente|chatbot|artificial intelligence|language model"
    r"|modèle de langage|sprachmodell|modelo de lenguaje|modello linguistico|modelo de linguagem|taalmodel"
    r"|intelligence artificielle|künstliche intelligenz|inteligencia artificial|ai|llm)\b",
    re.IGNORECASE,
)
#: A reply cue naming the assistant, alone on the last line ("Aurora:").
_NAME_CUE = re.compile(r"\n[ \t]*[^\W\d_][\w.'-]*(?:[ \t]+[^\W\d_][\w.'-]*)?[ \t]*:[ \t]*$")


class _Marker(NamedTuple):
    start: int
    end: int
    family: str
    role: str  # "user", "system", "assistant" or "" (an end-of-turn token)


def _role(word: str) -> str:
    word = word.casefold()
    if re.fullmatch(_USER_WORDS, word):
        return "user"
    if re.fullmatch(_SYSTEM_WORDS, word):
        return "system"
    return "assistant"


def _token_role(token: str) -> str:
    """The role a template token opens: Llama 2's ``<</SYS>>`` closes the system block, and the
    user's text follows it; end-of-turn tokens and closing tags open none ("")."""
    token = token.casefold()
    if token in ("<</sys>>", "[inst]"):
        return "user"
    if token == "<<sys>>":
        return "system"
    if token == "[/inst]":
        return "assistant"
    if token.startswith("</"):
        return ""
    word = _ROLE_WORD.search(token)
    return _role(word.group(0)) if word is not None else ""


_TOKEN_START = re.compile(r"[<\[]")
_INLINE_WORDS = ("USER:", "HUMAN:", "SYSTEM:", "ASSISTANT:")


def _markers(text: str) -> list[_Marker]:
    found = []
    if "<" in text or "[" in text:
        # tried only where a token can start: one alternation tried at every position is slow
        for start in _TOKEN_START.finditer(text):
            if (m := _TOKEN.match(text, start.start())) is not None:
                found.append(_Marker(m.start(), m.end(), m.lastgroup or "", _token_role(m.group(0))))
    if ":" in text:
        # offsets in "\n" + text: the line break before a label is not part of it
        found += [_Marker(m.start(), m.end() - 1, "label", _role(m.group(1))) for m in _LABEL.finditer("\n" + text)]
        if any(word in text for word in _INLINE_WORDS):
            found += [_Marker(m.start(1), m.end(), "inline", _role(m.group(1))) for m in _INLINE_LABEL.finditer(text)]
    return sorted(found)


def newest_user_turn(text: str) -> str:
    """The text of the last user turn of ``text`` when ``text`` is a chat waiting for the
    assistant's reply (see the module docstring); ``text`` itself otherwise."""
    if ":" not in text and "<" not in text and "[" not in text:
        return text
    markers = _markers(text)
    first_user = next((m for m in markers if m.role == "user"), None)
    if first_user is None:
        return text
    # the first user marker's kind is the chat's; other kinds inside a turn are its text
    family = [m for m in markers if m.family == first_user.family]
    last = [m for m in family if m.role == "user"][-1]
    after = [m for m in family if m.start >= last.end]
    # after the turn: markers of its kind and white space only
    end = after[0].start if after else len(text)
    position = end
    for marker in after:
        if text[position : marker.start].strip():
            return text
        position = marker.end
    if text[position:].strip():
        return text
    opening = text[: family[0].start]
    if _OPENING_TOKENS.fullmatch(opening) is None and _NAMES_ASSISTANT.search(opening) is None:
        return text
    turn = text[last.end : end]
    if not after and last.family in ("label", "inline"):
        turn = _NAME_CUE.sub("", turn)
    return turn if turn.strip() else text
