"""The compiled helpers (classifier/_speedups.c) against the numpy versions they follow.

They are optional at install time (no C compiler: numpy is used), so these tests skip when the
extension was not built, except under CI (``CI=true``), where the build must have produced it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import TierClassifier, _features, _model
from classifier._compiled import speedups
from classifier._features import (
    _CLASS,
    _FOLD,
    _HEAD_NEEDLES,
    _NON_ASCII_MATH,
    MAX_HASHED_CHARS,
    _class_counts,
    _code_points,
    _count_substrings,
    _powers,
    fold_punctuation,
    folded_code_points,
    hash_ngrams,
    hash_ngrams_numpy,
)

ROOT = Path(__file__).resolve().parent.parent

if speedups is None:
    if os.environ.get("CI") == "true" and not os.environ.get("BUDGET_ROUTER_PURE_NUMPY"):
        raise RuntimeError("classifier._speedups was not built: CI installs with a C compiler")
    pytest.skip("classifier._speedups not built (no C compiler at install time)", allow_module_level=True)

# texts of spaces, letters, digits, accented and wide characters, emoji and lone surrogates: every
# code point width, and the runs of spaces that make empty words
TEXTS = st.text(alphabet=st.sampled_from(" a0éZ中\U0001f600\ud800") | st.characters(), max_size=300)
CONFIGS = st.sampled_from(
    [((3, 5), (1, 2), 16, True), ((2, 4), (1, 2), 16, False), ((1, 1), (1, 3), 7, True), ((5, 5), (2, 64), 63, False)]
)


@settings(max_examples=400, deadline=None)
@given(TEXTS, CONFIGS)
def test_hash_ngrams_gives_the_numpy_ids(text: str, config: tuple) -> None:
    cp = _code_points(" " + text + " ")
    compiled = hash_ngrams(cp, *config)
    expected = hash_ngrams_numpy(cp, *config)
    assert compiled.dtype == expected.dtype == np.int64
    np.testing.assert_array_equal(compiled, expected)


def test_hash_ngrams_at_the_length_limit_and_past_it() -> None:
    rng = np.random.default_rng(0)
    cp = rng.choice(np.array([32, 97, 98, 233, 0x4E2D], dtype=np.uint64), size=MAX_HASHED_CHARS)
    np.testing.assert_array_equal(hash_ngrams(cp, (3, 5), (1, 2), 16), hash_ngrams_numpy(cp, (3, 5), (1, 2), 16))
    pw, inv = _powers()
    too_long = np.full(MAX_HASHED_CHARS + 1, 97, dtype=np.uint64)
    with pytest.raises(ValueError, match="longer than the power tables"):
        speedups.hash_ngrams(too_long, pw, inv, 3, 5, 1, 2, 16, True, *_features._COMPILED_KEYS)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.integers(1, 8), st.integers(0, 8), st.integers(1, 6), st.integers(0, 6), st.booleans())
def test_hash_ngrams_of_any_text_and_sizes(
    text: str, char_lo: int, char_span: int, word_lo: int, word_span: int, first_words: bool
) -> None:
    """Texts not padded with spaces, sizes past the text's length or word count."""
    cp = _code_points(text)
    sizes = ((char_lo, char_lo + char_span), (word_lo, word_lo + word_span), 20, first_words)
    np.testing.assert_array_equal(hash_ngrams(cp, *sizes), hash_ngrams_numpy(cp, *sizes))


def test_hash_ngrams_of_empty_and_spaceless_texts() -> None:
    for text in ["", " ", "  ", "ab", "abcdef", "a b c", " a  b "]:
        cp = _code_points(text)
        np.testing.assert_array_equal(hash_ngrams(cp, (3, 5), (1, 2), 16), hash_ngrams_numpy(cp, (3, 5), (1, 2), 16))


def test_hash_ngrams_stops_at_the_text_for_huge_sizes() -> None:
    pw, inv = _powers()
    cp = _code_points(" a bc def ")
    ids = speedups.hash_ngrams(cp, pw, inv, 1, 2**31 - 1, 1, 2**31 - 1, 16, True, *_features._COMPILED_KEYS)
    expected = hash_ngrams_numpy(cp, (1, cp.size), (1, 3), 16, True)
    np.testing.assert_array_equal(np.frombuffer(ids, dtype=np.int64), expected)


# white space of every kind and the punctuation and digits the fold maps, among other characters
FOLDED = st.text(
    alphabet=st.sampled_from(" \t\n\r\x0b\x85\xa0\u2003\u3000?!.,;:\"'«»“”¿…19aÉ中\ud800") | st.characters()
)


@settings(max_examples=400, deadline=None)
@given(FOLDED)
def test_fold_code_points_gives_the_folded_texts_code_points(text: str) -> None:
    expected = _code_points(fold_punctuation(text))
    np.testing.assert_array_equal(folded_code_points(text), expected)


def test_fold_code_points_of_empty_and_blank_texts() -> None:
    for text in ["", " ", "   ", "\u3000\n", "?!", "é", "a"]:
        assert folded_code_points(text).tolist() == _code_points(fold_punctuation(text)).tolist(), repr(text)
    with pytest.raises(TypeError):
        speedups.fold_code_points(b"bytes", _FOLD)
    with pytest.raises(TypeError, match="table: expected"):
        speedups.fold_code_points("text", _FOLD.astype(np.int64))


# code-like text: the needles' characters, their prefixes and overlapping runs of them
PIECES = ["`", "``", "```", "def ", "return", "{", ";", "()", "(", ")", "=>", "=", "import ", "#include", "class "]
CODE = st.lists(
    st.sampled_from([*PIECES, "\n", "\n    ", "\t", " ", "?", "\\", "é", "中", "d", "r"]) | st.characters(),
    max_size=200,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    CODE,
    st.integers(min_value=-300, max_value=500),
)
def test_count_substrings_counts_as_str_count(text: str, end: int) -> None:
    head = text[:end]  # a negative end counts from the end, as slicing does
    needles = (*_HEAD_NEEDLES, "``", "aa")
    assert speedups.count_substrings(text, end, needles) == tuple(head.count(n) for n in needles)
    assert _count_substrings(text, end, needles) == tuple(head.count(n) for n in needles)


def test_count_substrings_refuses_bad_needles() -> None:
    for needles in [("",), ("é",), (3,)]:
        with pytest.raises(ValueError, match="needles must"):
            speedups.count_substrings("text", 4, needles)
    with pytest.raises(ValueError, match="at most"):
        speedups.count_substrings("text", 4, ("a",) * 65)


@settings(max_examples=300, deadline=None)
@given(FOLDED | CODE)
def test_class_counts_match_numpy(text: str) -> None:
    cp = folded_code_points(text.replace("1", "0"))
    counts = np.bincount(_CLASS[np.minimum(cp, _CLASS.size - 1)], minlength=_NON_ASCII_MATH + 1).tolist()
    is_zero = cp == 48
    runs = int(np.count_nonzero(is_zero[1:] & ~is_zero[:-1]))
    assert _class_counts(cp) == (counts, runs)


def test_the_class_table_is_int64_on_every_platform() -> None:
    assert _CLASS.dtype == np.int64  # the helper takes 8-byte classes (np.intp is 4 bytes on 32-bit)


def test_class_counts_refuse_a_class_outside_the_count() -> None:
    with pytest.raises(ValueError, match="outside"):  # a space is of class 2
        speedups.class_counts(np.array([32], dtype=np.uint64), _CLASS, 2)
    with pytest.raises(ValueError, match="n_classes"):
        speedups.class_counts(np.array([32], dtype=np.uint64), _CLASS, 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=3000), st.integers(0, 2**32 - 1))
def test_gather_sums_gives_the_numpy_sums(rows: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(rows, 4)).astype(np.float32)
    ids = rng.integers(0, rows, size=n, dtype=np.int64)
    np.testing.assert_array_equal(np.asarray(speedups.gather_sums(table, ids)), _model._gather_sums_numpy(table, ids))


def test_gather_sums_adds_in_double_precision_in_id_order() -> None:
    """Values over a wide range of magnitudes: the compiled helper adds them in id order in double
    precision; numpy adds pairwise, so it may differ in the last bits here."""
    table = np.array([[1.0, 2.0, 3.0, 4.0], [2.0**-60] * 4, [-1.0] * 4, [3.0e7, 1.0e-7, -5.0, 0.5]], dtype=np.float32)
    ids = np.array([0, 1, 1, 2, 3, 3, 1, 0], dtype=np.int64)
    in_order = [0.0] * 4
    for i in ids:
        in_order = [total + float(value) for total, value in zip(in_order, table[i], strict=True)]
    assert speedups.gather_sums(table, ids) == tuple(in_order)
    np.testing.assert_allclose(_model._gather_sums_numpy(table, ids), in_order, rtol=1e-15)


def test_gather_sums_refuses_ids_outside_the_table() -> None:
    table = np.ones((8, 4), dtype=np.float32)
    for bad in (8, -1):  # numpy's take would read row -1 as the last: ids are never negative
        with pytest.raises(IndexError, match="outside a table of 8 rows"):
            speedups.gather_sums(table, np.array([0, bad], dtype=np.int64))
    with pytest.raises(IndexError):
        _model._gather_sums_numpy(table, np.array([0, 8], dtype=np.int64))
    with pytest.raises(ValueError, match="four float32"):
        speedups.gather_sums(np.ones((8, 3), dtype=np.float32), np.zeros(1, dtype=np.int64))
    with pytest.raises(TypeError, match="ids: expected"):
        speedups.gather_sums(table, np.zeros(1, dtype=np.int32))
    with pytest.raises(TypeError, match="table: expected"):
        speedups.gather_sums(table.astype(np.float64), np.zeros(1, dtype=np.int64))


def test_hash_ngrams_refuses_other_item_types() -> None:
    pw, inv = _powers()
    for bad in (np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.uint32), b"abcdefgh"):
        with pytest.raises(TypeError, match="cp: expected"):
            speedups.hash_ngrams(bad, pw, inv, 3, 5, 1, 2, 16, True, *_features._COMPILED_KEYS)


def test_the_shipped_model_scores_alike_with_and_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same probabilities to the bit (the weight sums may in principle differ in the last bits:
    see ``_gather_sums``; they never have on a real prompt), framing detector included, on
    prompts with framing, chat turns, code, several scripts and a long prompt."""
    clf = TierClassifier.load()
    prompts = [
        "Hi there! Could you please help me with the following? Translate into German: good morning. Thanks!",
        "User: hello\nAssistant: hi\nUser: Prove that the square root of 2 is irrational.",
        "```python\ndef f(x):\n    return x * 2\n```\nWhy does this return the wrong type for strings?",
        "请把这句话翻译成英文：今天天气很好。",
        "Résous l'équation x² - 5x + 6 = 0 et explique chaque étape.",
        "Dear team,\nI hope you are well. Design a rate limiter for 1M requests/s.\nBest regards,\nAna",
        "word " * 30_000,
    ]
    compiled, tiers = clf.predict_proba(prompts), clf.predict(prompts)
    monkeypatch.setattr(_features, "speedups", None)
    monkeypatch.setattr(_model, "speedups", None)
    np.testing.assert_array_equal(clf.predict_proba(prompts), compiled)
    assert list(clf.predict(prompts)) == list(tiers)


def test_the_numpy_versions_serve_when_asked() -> None:
    """``BUDGET_ROUTER_PURE_NUMPY=1`` leaves the extension unused; the classifier still works."""
    code = (
        "from classifier._compiled import speedups; from classifier import TierClassifier;"
        "assert speedups is None; print(TierClassifier.load().classify('Prove that 2 + 2 = 4.')[0])"
    )
    env = {**os.environ, "BUDGET_ROUTER_PURE_NUMPY": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() in ("light", "intermediate", "advanced")
