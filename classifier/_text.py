"""Text normalisation shared by the corpus build and the classifier."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_TRAILING_SPACE = re.compile(r"[ \t\f\v]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Canonical form of a prompt: NFC, ``\\n`` line ends, no trailing spaces, <= 1 blank line.

    Inner spacing is kept (code indentation carries meaning); only noise is removed.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def dedup_key(text: str) -> str:
    """Hash used to de-duplicate prompts: case-folded, all whitespace runs collapsed."""
    folded = " ".join(normalise_text(text).casefold().split())
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()[:16]
