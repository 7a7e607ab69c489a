"""The newest user turn of a chat flattened into one prompt.

Apps and front-ends often send a whole chat as one prompt string: a system prompt, perhaps a few
earlier turns, the user's request, and a cue for the assistant's reply::

    <s>[INST] <<SYS>>\\nYou are a helpful, respectful and honest assistant. ...\\n<</SYS>>\\n\\n{request} [/INST]
    You are ChatGPT, a large language model ...\\nCurrent date: ...\\n\\nUser: {request}\\nAssistant:

The router reads the newest user turn of a structured request and never the system instruction
(:mod:`router.prompt`); :func:`newest_user_turn` does the same for a flattened one. A system prompt
says who the assistant is, not how hard the request is, and a long one outweighs the request.

Turns are marked by a model's chat-template tokens (ChatML, Llama 2 and 3, Zephyr and Phi, Gemma,
DeepSeek), by role tags and brackets (``<user>``, ``[assistant]``) or by role labels (``User:``,
``### Human:``, ``**User:**``, ``Utilisateur :``, ``用户：``, ``ユーザー:``, Vicuna's inline
``USER:``). The first user marker's kind is the chat's; markers of another kind, and labels
written in another style (``user:`` in a YAML block under ``User:``), are the turn's own text.
Only a prompt that is plainly a chat is cut:

* after the last user turn come only markers of the chat's kind, never text;
* the text before the first marker does not end with a colon, ASCII or full-width (it would
  introduce the chat as material: "Summarise this conversation:\\nUser: ...");
* a turn marked by a model's template tokens must be closed (``[/INST]``, ``<|im_end|>``): "What
  does [INST] mean?" is a question about the template;
* tags, brackets and labels, which people also write as content, must end with a cue for the
  reply (``Assistant:``, ``</user><assistant>``, or a name alone on the last line, ``Aurora:``,
  ``**Copilot:**``, ``小星：``),
  and the text before the first of them must be empty or name the assistant ("You are Nova, a
  large language model", "The assistant is ...").
"""

from __future__ import annotations

import re
from typing import NamedTuple

_USER_WORDS = (
    r"user|human|utilisateur|utilisatrice|usager|nutzer|nutzerin|benutzer|benutzerin|usuario|usuaria"
    r"|utente|usuário|usuária|utilizador|gebruiker|用户|用戶|使用者|ユーザー|사용자"
)
_SYSTEM_WORDS = r"system|système|systeme|sistema|systeem|系统|系統|システム|시스템"
_ASSISTANT_WORDS = (
    r"assistant|assistente|assistent|assistentin|asistente|ai|ia|ki|bot|chatbot|助手|助理|アシスタント|어시스턴트"
)
_ROLES = f"{_USER_WORDS}|{_SYSTEM_WORDS}|{_ASSISTANT_WORDS}"
_USERS = frozenset(_USER_WORDS.split("|"))
_SYSTEMS = frozenset(_SYSTEM_WORDS.split("|"))

#: A model's chat-template tokens, by template; a token's role is the role word in it (none: an
#: end-of-turn token).
_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("chatml", r"<\|im_start\|>[ \t]*(?:system|user|assistant)\b|<\|im_end\|>"),
    ("llama3", r"<\|start_header_id\|>[ \t]*(?:system|user|assistant)[ \t]*<\|end_header_id\|>|<\|eot_id\|>"),
    ("pipe", r"<\|(?:system|user|assistant)\|>|<\|end\|>|</s>"),
    ("llama2", r"<<SYS>>|<</SYS>>|\[INST\]|\[/INST\]"),
    ("gemma", r"<start_of_turn>[ \t]*(?:user|model)\b|<end_of_turn>"),
    ("deepseek", r"<｜(?:User|Assistant)｜>"),
)
_TEMPLATE_FAMILIES = frozenset(family for family, _ in _TEMPLATES)
_TOKEN = re.compile(
    "|".join(f"(?P<{family}>{pattern})" for family, pattern in _TEMPLATES)
    + rf"|(?P<tag></?(?:{_ROLES})>)|(?P<bracket>\[(?:{_ROLES})\])",
    re.IGNORECASE,
)
_TOKEN_START = re.compile(r"[<\[]")
_ROLE_WORD = re.compile(rf"\b(?:{_ROLES}|model)\b", re.IGNORECASE)
#: A role label opening a line ("User:", "### System:", "**User**:", "**User:**", "Utilisateur :",
#: "User question:", "用户问题："), matched in "\n" + text: a line break first lets the regex engine
#: jump from one line break to the next. Group 1 is the decoration, group 2 the role word.
_LABEL = re.compile(
    rf"\n([ \t#>*]*)({_ROLES})\**(?:[ \t]+(?:message|request|prompt|query|question|input|turn)|问题|問題|消息|提问)?"
    r"[ \t]*[:：]\**",
    re.IGNORECASE,
)
#: The upper-case labels some formats write inline ("... polite answers. USER: ... ASSISTANT:",
#: "Hello!</s>USER: ..."); its empty group 1 stands for a label's decoration.
_INLINE_LABEL = re.compile(r"(?:[ \t]|</s>)()(USER|HUMAN|SYSTEM|ASSISTANT):")
_INLINE_WORDS = ("USER:", "HUMAN:", "SYSTEM:", "ASSISTANT:")
#: Tokens that open a prompt without a role (beginning of sequence).
_OPENING_TOKENS = re.compile(r"(?:(?:<s>|<bos>|<\|begin_of_text\|>|<\|endoftext\|>|<｜begin▁of▁sentence｜>)\s*)*")
#: An opening that names the assistant or a model ("You are a helpful assistant.", "The assistant
#: is Claude", "Tu es Lumi, un grand modèle de langage"). "You are" alone is not enough ("You are
#: given a list of numbers."), nor is an "ai" after an apostrophe (French "j'ai").
_NAMES_ASSISTANT = re.compile(
    r"(?<!['’])\b(?:assistant|assistente|assistent|assistentin|asistente|asystent|asistan|chatbot|copilot"
    r"|artificial intelligence|language model|modèle de langage|sprachmodell|modelo de lenguaje"
    r"|modello linguistico|modelo de linguagem|taalmodel|intelligence artificielle|künstliche intelligenz"
    r"|inteligencia artificial|ai|llm)\b|助手|助理|アシスタント|어시스턴트",
    re.IGNORECASE,
)
#: A reply cue naming the assistant: one capitalised word alone on the last line ("Aurora:",
#: "**Copilot:**", "小星：").
_NAME_CUE = re.compile(r"\n[ \t#>*_]*[^\W\d_a-z][\w.'-]*[*_]*[ \t]*[:：][*_]*\s*\Z")


class _Marker(NamedTuple):
    start: int
    end: int
    family: str  # a template, "tag", "bracket", or "label" with its decoration and case
    role: str  # "user", "system", "assistant" or "" (an end-of-turn token, a closing tag)


def _role(word: str) -> str:
    word = word.casefold()
    return "user" if word in _USERS else "system" if word in _SYSTEMS else "assistant"


def _token_role(token: str) -> str:
    """The role a template token or tag opens: the user's text follows Llama 2's ``<</SYS>>``;
    end-of-turn tokens and closing tags open none ("")."""
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


def _label(match: re.Match[str], offset: int) -> _Marker:
    """A label marker; its family holds its decoration and case, so "User:" and a YAML "user:"
    are of different kinds."""
    word = match.group(2)
    case = "upper" if word.isupper() else "title" if word[0].isupper() else "lower"
    family = f"label {match.group(1).strip()} {case}"
    return _Marker(match.start(1) - offset, match.end() - offset, family, _role(word))


def _markers(text: str) -> list[_Marker]:
    found = []
    if "<" in text or "[" in text:
        # tried only where a token can start: one alternation tried at every position is slow
        for start in _TOKEN_START.finditer(text):
            if (m := _TOKEN.match(text, start.start())) is not None:
                found.append(_Marker(m.start(), m.end(), str(m.lastgroup), _token_role(m.group(0))))
    if ":" in text or "：" in text:
        found += [_label(m, 1) for m in _LABEL.finditer("\n" + text)]  # offsets in "\n" + text
        if any(word in text for word in _INLINE_WORDS):
            found += [_label(m, 0) for m in _INLINE_LABEL.finditer(text)]
    return sorted(found)


def newest_user_turn(text: str) -> str:
    """The text of the last user turn of ``text`` when ``text`` is plainly a chat (see the
    module docstring); ``text`` itself otherwise."""
    if ":" not in text and "<" not in text and "[" not in text and "：" not in text:
        return text
    markers = _markers(text)
    first_user = next((m for m in markers if m.role == "user"), None)
    if first_user is None:
        return text
    family = [m for m in markers if m.family == first_user.family]
    last = [m for m in family if m.role == "user"][-1]
    after = [m for m in family if m.start >= last.end]
    end = after[0].start if after else len(text)
    # after the turn: markers of its kind and white space only
    for i, marker in enumerate(after):
        if text[marker.end : after[i + 1].start if i + 1 < len(after) else len(text)].strip():
            return text
    opening = text[: family[0].start]
    if opening.rstrip().endswith((":", "：")):
        return text
    if first_user.family in _TEMPLATE_FAMILIES:
        if not after:  # an unclosed turn: a question about the template ("What does [INST] do?")
            return text
    else:
        cued = any(m.role == "assistant" for m in after)
        if not after and (cue := _NAME_CUE.search(text, last.end)) is not None:
            cued, end = True, cue.start()
        if not cued:
            return text
        if _OPENING_TOKENS.fullmatch(opening.strip()) is None and _NAMES_ASSISTANT.search(opening) is None:
            return text
    turn = text[last.end : end]
    return turn if turn.strip() else text
