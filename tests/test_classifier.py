"""The tier classifier: estimator contract, fast path, bad input, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from classifier import InvalidPrompt, ModelLoadError, ModelVersionMismatch, TierClassifier
from classifier._decision import Thresholds
from classifier._features import PromptFeaturizer, bound_text, clean_text, fold_punctuation, strip_framing

TOY = [
    ("Translate 'good morning' into French", "light"),
    ("What is the capital of Peru?", "light"),
    ("Fix the spelling: teh cat sat on teh mat", "light"),
    ("Summarise this paragraph in one sentence: the council met on Monday.", "light"),
    (
        "A train leaves at 3 pm at 60 km/h and another at 4 pm at 80 km/h; when does the second catch up?",
        "intermediate",
    ),
    ("Plan a 3-day trip to Rome on 500 euros with a vegetarian and no taxis.", "intermediate"),
    ("Compare renting and buying for someone moving in three years; weigh cost and risk.", "intermediate"),
    ("If I draw 2 cards, what is the probability both are hearts?", "intermediate"),
    ("Prove that there are infinitely many primes of the form 4k+3.", "advanced"),
    ("Implement a lock-free multi-producer queue in C++ and argue its correctness.", "advanced"),
    ("Design a payments ledger for 50,000 writes per second with exactly-once processing.", "advanced"),
    ("Find all functions f: R -> R with f(x+y) = f(x) + f(y) + 2xy and prove there are no others.", "advanced"),
]


@pytest.fixture(scope="module")
def toy_model() -> TierClassifier:
    texts, tiers = zip(*TOY, strict=True)
    return TierClassifier(bits=12, C=10.0).fit(list(texts) * 3, list(tiers) * 3)


def test_estimator_contract(toy_model: TierClassifier) -> None:
    fresh = clone(toy_model)
    assert fresh.get_params() == toy_model.get_params()
    assert not hasattr(fresh, "featurizer_")
    with pytest.raises(NotFittedError):
        fresh.predict(["hello"])
    texts, tiers = zip(*TOY, strict=True)
    assert fresh.fit(list(texts), list(tiers)) is fresh
    assert list(toy_model.classes_) == ["light", "intermediate", "advanced"]


def test_predict_proba_shape_and_sum(toy_model: TierClassifier) -> None:
    proba = toy_model.predict_proba([t for t, _ in TOY])
    assert proba.shape == (len(TOY), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(toy_model.predict([t for t, _ in TOY])) <= {"light", "intermediate", "advanced"}


def test_fits_its_own_toy_data(toy_model: TierClassifier) -> None:
    assert list(toy_model.predict([t for t, _ in TOY])) == [tier for _, tier in TOY]


def test_fast_path_equals_sparse_matrix_model(toy_model: TierClassifier) -> None:
    """The per-prompt gather path computes exactly what the sparse feature matrix times the
    logistic-regression weights computes."""
    texts = [t for t, _ in TOY] + ["", "x" * 9000, "Ünïcode ✓ 数学 $x^2$\n    def f(): return 1"]
    featurizer = toy_model.featurizer_
    matrix = featurizer.transform(texts)
    n_hashed = featurizer.n_hashed
    coef_hashed = np.vstack([w / featurizer.idf_ for w in toy_model.hashed_weights_])
    coef = np.hstack([coef_hashed, toy_model.structural_weights_.T])
    expected = matrix @ coef.T + toy_model.intercept_
    np.testing.assert_allclose(toy_model.decision_function(texts), expected, rtol=1e-4, atol=1e-5)
    assert matrix.shape[1] == n_hashed + toy_model.structural_weights_.shape[0]


def test_classify_matches_batch_predictions(toy_model: TierClassifier) -> None:
    texts = [t for t, _ in TOY] + ["", "??", "数学"]
    tiers = toy_model.predict(texts)
    proba = toy_model.predict_proba(texts)
    for i, text in enumerate(texts):
        tier, p = toy_model.classify(text)
        assert tier == tiers[i]
        np.testing.assert_allclose(p, proba[i], rtol=1e-12)
    scores = toy_model.complexity_score(texts)
    assert ((scores >= 0) & (scores <= 1)).all()


@pytest.mark.parametrize(
    "thresholds",
    [Thresholds.argmax(), Thresholds(0.4, 0.3), Thresholds(0.4, 0.3, 0.1), Thresholds(0.25, 0.5, 0.05)],
)
def test_one_prompt_decision_rule_equals_the_batch_rule(thresholds: Thresholds) -> None:
    """``decide_one`` (classify's scalar path) and ``decide`` (the batch path) are the same rule,
    on random probabilities and on probabilities sitting exactly on each threshold."""
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([0.5, 0.5, 0.5], size=4000)
    on_edges = [[0.6, 0.0, 0.4], [0.7, 0.2, 0.1], [0.5, 0.25, 0.25], [0.95, 0.0, 0.05], [0.2, 0.4, 0.4]]
    proba = np.vstack([proba, on_edges, np.full((1, 3), 1 / 3)])
    expected = thresholds.decide(proba)
    got = [thresholds.decide_one(*row) for row in proba.tolist()]
    assert got == expected.tolist()
    assert set(got) == {0, 1, 2}
    as_float32 = Thresholds(
        *(
            None if t is None else np.float32(t)
            for t in (thresholds.advanced, thresholds.intermediate, thresholds.guard)
        )
    )
    assert [as_float32.decide_one(*row) for row in proba.tolist()] == as_float32.decide(proba).tolist()


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?", "\x00\x01", "\ud800 lone surrogate", "a" * 5_000_000])
def test_degenerate_prompts_get_a_defined_tier(toy_model: TierClassifier, text: str) -> None:
    [tier] = toy_model.predict([text])
    assert tier in {"light", "intermediate", "advanced"}
    assert np.isfinite(toy_model.predict_proba([text])).all()


def test_bytes_are_decoded_and_non_strings_rejected(toy_model: TierClassifier) -> None:
    assert toy_model.predict([b"caf\xc3\xa9 \xff\xfe invalid utf-8"])[0] in toy_model.classes_
    with pytest.raises(InvalidPrompt, match="prompt 1 is int"):
        toy_model.predict(["fine", 3])
    with pytest.raises(InvalidPrompt, match="single string"):
        toy_model.predict("not a list")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_classified(text: str) -> None:
    model = _shared_toy()
    proba = model.predict_proba([text])
    assert np.isfinite(proba).all() and abs(proba.sum() - 1) < 1e-9


_TOY_CACHE: list[TierClassifier] = []


def _shared_toy() -> TierClassifier:
    if not _TOY_CACHE:
        texts, tiers = zip(*TOY, strict=True)
        _TOY_CACHE.append(TierClassifier(bits=10).fit(list(texts), list(tiers)))
    return _TOY_CACHE[0]


def test_cleaning_removes_format_only_differences() -> None:
    a = clean_text("Which gas do plants absorb?\nA. oxygen\nB. carbon dioxide\nAnswer:", 3000, 1000)
    b = clean_text("which gas do plants absorb\noxygen\ncarbon dioxide", 3000, 1000)
    assert a == b


@pytest.mark.parametrize(
    "wrapped",
    [
        "<|im_start|>user\nWhich gas do plants absorb?<|im_end|>\n<|im_start|>assistant",
        "### Instruction:\nWhich gas do plants absorb?\n\n### Response:",
        "USER: Which gas do plants absorb?\nASSISTANT:",
        "[INST] Which gas do plants absorb? [/INST]",
        "<user>Which gas do plants absorb?</user>",
        "<s>[INST] <<SYS>>\n<</SYS>>\n\nWhich gas do plants absorb? [/INST]",
        "<bos><start_of_turn>user\nWhich gas do plants absorb?<end_of_turn>\n<start_of_turn>model\n",
        "<｜begin▁of▁sentence｜><｜User｜>Which gas do plants absorb?<｜Assistant｜>",
        "[user] Which gas do plants absorb? [/user]",
    ],
)
def test_cleaning_removes_chat_scaffolding(wrapped: str) -> None:
    assert clean_text(wrapped, 3000, 1000) == clean_text("Which gas do plants absorb?", 3000, 1000)


def test_cleaning_keeps_comparisons_and_brackets_that_are_not_chat_tokens() -> None:
    for text in ("Is x < y and y > z?", "if a<b|c>d: return [s]", "Parse <start> and [end] tags"):
        assert clean_text(text, 3000, 1000) == fold_punctuation(text.casefold().replace("1", "0"))


def test_cleaning_drops_a_leading_persona_but_not_a_task_setup() -> None:
    assert clean_text("You are a helpful assistant. Explain lifetimes.", 3000, 1000) == " explain lifetimes "
    assert clean_text("Tu es un assistant utile. Traduis ceci.", 3000, 1000) == " traduis ceci "
    for task in ("You are given an array of n integers. Find the max subarray.", "You are a farmer with a fence."):
        assert clean_text(task, 3000, 1000).startswith(" you are ")


@pytest.mark.parametrize(
    "wrapped",
    [
        "Good evening! Could you please help me with the following question?\n\n{q}\n\nMany thanks.",
        "Voici ma question :\n{q}\nMerci beaucoup !",
        "You are an AI tutor. Be clear and concise.\n---\n{q}\n---",
        "Hallo! Bitte beantworte folgende Frage.\n{q}\nDanke!",
        "Hola, ¿me ayudas con esta pregunta?\n\nPregunta: {q}",
        "{q} (reply briefly please)",
        "Hallo, hier is mijn vraag:\n{q}\nAlvast bedankt!",
        "Oi! Você pode me ajudar com esta pergunta?\n\n{q}",
        "Ich brauche Hilfe bei dieser Frage:\n{q}",
        "Puoi aiutarmi con questa domanda?\n{q}\nGrazie mille!",
        "{q}\n\nAny thoughts?",
    ],
)
def test_framing_sentences_around_the_request_are_dropped(wrapped: str) -> None:
    question = "Which gas do plants absorb?\nA. oxygen\nB. carbon dioxide"
    assert strip_framing(wrapped.format(q=question)) == question
    featurizer = PromptFeaturizer(bits=10).fit([question])
    plain_buckets, plain_raw = featurizer.extract(question)
    buckets, raw = featurizer.extract(wrapped.format(q=question))
    assert buckets.tolist() == plain_buckets.tolist()
    np.testing.assert_array_equal(raw, plain_raw)  # structural signals read the stripped prompt too


@pytest.mark.parametrize(
    "prompt",
    [
        "Translate the following into German:\n\nWhere is the station?",
        "Summarize this message:\nThe meeting moved to Friday.",
        "Please write a haiku about rain.",
        "That'd look good",
        "Complete the sequence: ( [ { } ] ( )",
        "Let\n$$x^2 = 4$$\nFind x.",
        'def f(x):\n    """Return x squared."""',
        "Hello!",
        'French → English: "Merci pour votre aide."',
        'how do i say "could we get the bill please" in portuguese',
        'Translate to French: "thank you very much"',
    ],
)
def test_framing_cleaning_keeps_what_carries_the_task(prompt: str) -> None:
    assert strip_framing(prompt) == prompt


def test_cleaning_keeps_colons_that_carry_content() -> None:
    assert "ratio" in clean_text("The ratio a:b is 2:3 at 10:30.", 3000, 1000)
    assert "int" in clean_text("def f(x: int) -> None:", 3000, 1000)


def test_long_input_is_bounded() -> None:
    featurizer = PromptFeaturizer(bits=10, head_chars=100, tail_chars=50).fit(["a b c"])
    short_buckets, _ = featurizer.extract("word " * 40)
    long_buckets, raw = featurizer.extract("word " * 100_000)
    assert long_buckets.size < 4 * short_buckets.size
    assert raw[0] == pytest.approx(np.log1p(500_000))  # the length signal still sees the whole prompt


def test_long_input_keeps_words_apart_where_it_is_cut() -> None:
    """The head and the tail are stripped on their own; the space at each cut stays."""
    assert "loremlorem" not in bound_text("lorem " * 1000, 3000, 1000)


def test_save_load_round_trip(tmp_path, toy_model: TierClassifier) -> None:
    toy_model.save(tmp_path, card={"version": "test"})
    loaded = TierClassifier.load(tmp_path)
    texts = [t for t, _ in TOY]
    np.testing.assert_allclose(loaded.predict_proba(texts), toy_model.predict_proba(texts))
    assert loaded.model_card_["version"] == "test"
    assert loaded.model_card_["label_order"] == ["light", "intermediate", "advanced"]


def test_load_refuses_mismatched_or_corrupt_artefacts(tmp_path, toy_model: TierClassifier) -> None:
    card_path = toy_model.save(tmp_path)
    card = json.loads(card_path.read_text())

    card_path.write_text(json.dumps({**card, "format_version": 999}))
    with pytest.raises(ModelVersionMismatch, match="format version 999"):
        TierClassifier.load(tmp_path)

    card_path.write_text(json.dumps({**card, "libraries": {**card["libraries"], "numpy": "0.1"}}))
    with pytest.raises(ModelVersionMismatch, match=r"numpy 0\.1"):
        TierClassifier.load(tmp_path)

    card_path.write_text(json.dumps(card))
    artefact = tmp_path / card["artefact"]["file"]
    artefact.write_bytes(artefact.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelLoadError, match="does not match its model card"):
        TierClassifier.load(tmp_path)

    with pytest.raises(ModelLoadError, match="no model card"):
        TierClassifier.load(tmp_path / "missing")


def test_shipped_model_loads_and_routes_obvious_prompts() -> None:
    clf = TierClassifier.load()
    assert clf.model_card_["label_order"] == ["light", "intermediate", "advanced"]
    tiers = clf.predict(
        [
            "Translate 'where is the train station?' into German.",
            "Prove that every finite integral domain is a field.",
        ]
    )
    assert list(tiers) == ["light", "advanced"]


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=5, max_size=300), st.integers(min_value=3, max_value=5), st.data())
def test_ngram_hash_does_not_depend_on_position(text: str, size: int, data: st.DataObject) -> None:
    """A char n-gram hashes to the same bucket wherever it occurs (the prefix-sum trick is exact)."""
    from classifier._features import _code_points, hash_ngrams

    cp = _code_points(text)
    if cp.size < size:
        return
    in_context = hash_ngrams(cp, (size, size), (1, 0), 16, first_words=False)
    start = data.draw(st.integers(min_value=0, max_value=cp.size - size))
    alone = hash_ngrams(cp[start : start + size], (size, size), (1, 0), 16, first_words=False)
    assert in_context.size == cp.size - size + 1
    assert alone.tolist() == [in_context[start]]


def test_tuned_guard_never_exceeds_its_cap() -> None:
    """Validation advanced prompts that are all easy to recognise would let macro-F1 raise the
    guard to the top of its grid; it stops at MAX_GUARD, so a prompt at least that likely to be
    advanced is never served light."""
    from classifier._decision import MAX_GUARD, tune_thresholds

    rng = np.random.default_rng(0)
    light = np.column_stack([np.full(200, 0.75), np.full(200, 0.0), rng.uniform(0.15, 0.25, 200)])
    advanced = np.column_stack([np.full(100, 0.05), np.full(100, 0.05), np.full(100, 0.9)])
    proba = np.vstack([light, advanced])
    proba /= proba.sum(axis=1, keepdims=True)
    labels = np.r_[np.zeros(200, dtype=int), np.full(100, 2)]
    chosen = tune_thresholds(proba, labels)
    assert chosen.guard is not None and chosen.guard <= MAX_GUARD
    risky = np.array([[0.8, 0.0, MAX_GUARD + 0.01]])
    assert chosen.decide(risky / risky.sum())[0] != 0
