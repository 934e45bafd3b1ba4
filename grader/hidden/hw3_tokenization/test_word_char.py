"""Hidden tests of word.py and char.py: vocabularies, the frequency cut-off, round trips and `<unk>`.

Id 0 must be "<unk>"; the other tokens may come in any order (the handout suggests sorted), so every check
reads the student's own get_vocab() and checks encode and decode against it.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from grader.suite import fail

WORDS = re.compile(r"\w+|[^\w\s]")
LEXICON = (
    *("the", "cube", "sits", "on", "table", "and", "a", "dog", "saw", "cat", ",", ".", "!", "?"),
    *("über", "straße", "naïve", "café", "東京", "мир", "λόγος", "9", "42", "2024", "it's", "don't"),
)


def _corpus(seed: int, n: int = 400) -> str:
    """A corpus where word frequencies spread from 1 to many (Zipf-like), with punctuation."""
    rng = random.Random(seed)
    weights = [1.0 / (rank + 1) for rank in range(len(LEXICON))]
    # Capitalised words whose lower-case forms are frequent: case is kept, so they are words of their own.
    return " ".join(rng.choices(LEXICON, weights=weights, k=n)) + " zebra once The Dog"


def _vocab(tokenizer, what: str) -> list[str]:
    vocab = tokenizer.call("get_vocab")
    if not isinstance(vocab, list) or not all(isinstance(token, str) for token in vocab):
        fail(f"{what}.get_vocab() should return a list of str, got {type(vocab).__name__}")
    if not vocab or vocab[0] != "<unk>":
        fail(f"{what}.get_vocab()[0] should be '<unk>', got {vocab[:1]}", "reserve id 0 for '<unk>'")
    if len(set(vocab)) != len(vocab):
        fail(
            f"{what}.get_vocab() repeats tokens: {sorted(t for t, c in Counter(vocab).items() if c > 1)[:5]}"
        )
    return vocab


@pytest.mark.points(4)
def test_word_vocabulary_and_min_freq(student, seed, check):
    """WordTokenizer keeps exactly the words that occur at least min_freq times, plus '<unk>' at id 0"""
    corpus = _corpus(seed)
    counts = Counter(WORDS.findall(corpus))
    for min_freq in (1, 2, 5):
        with check.part(f"min_freq={min_freq}"):
            what = f"WordTokenizer(corpus, min_freq={min_freq})"
            vocab = _vocab(student.new("word.WordTokenizer", corpus, min_freq=min_freq), what)
            expected = {word for word, count in counts.items() if count >= min_freq}
            if set(vocab[1:]) != expected:
                missing, extra = sorted(expected - set(vocab)), sorted(set(vocab[1:]) - expected)
                hint = ""
                if any(not WORDS.fullmatch(word) for word in extra):
                    hint = "split with the word pattern: punctuation marks are tokens of their own"
                elif missing and all(word.lower() != word and word.lower() in vocab for word in missing):
                    hint = "keep the case: 'The' and 'the' are different words"
                elif not missing and all(counts.get(word) == min_freq - 1 for word in extra):
                    hint = "a word that occurs exactly min_freq - 1 times must be left out"
                elif not extra and all(counts[word] == min_freq for word in missing):
                    hint = "a word that occurs exactly min_freq times must be kept (count >= min_freq)"
                fail(f"{what}: missing {missing[:8]}, unexpected {extra[:8]}", hint)


@pytest.mark.points(4)
def test_word_encode_decode(student, seed, check):
    """WordTokenizer.encode follows get_vocab(), and decode(encode(text)) joins the words with spaces"""
    corpus = _corpus(seed)
    tokenizer = student.new("word.WordTokenizer", corpus, min_freq=1)
    vocab = _vocab(tokenizer, "WordTokenizer(corpus)")
    index = {token: i for i, token in enumerate(vocab)}
    rng = random.Random(seed + 1)
    texts = [" ".join(rng.choices(sorted(set(WORDS.findall(corpus))), k=12)) for _ in range(3)]
    texts += ["the  cube,sits\non the table!", "The Dog saw the dog."]
    for text in texts:
        with check.part(repr(text[:30])):
            words = WORDS.findall(text)
            expected = [index.get(word, 0) for word in words]
            ids = tokenizer.call("encode", text)
            if ids != expected:
                hint = ""
                if ids == [index.get(word, 0) for word in text.split()]:
                    hint = (
                        "split with the word pattern (words and single punctuation marks), then look each up"
                    )
                elif ids == [index.get(word.lower(), 0) for word in words]:
                    hint = "keep the case: 'The' and 'the' are different words"
                fail(f"encode({text!r}) gave {ids}, expected {expected} (the ids of your get_vocab())", hint)
            decoded = tokenizer.call("decode", ids)
            want = " ".join(vocab[i] for i in expected)
            if decoded != want:
                fail(
                    f"decode(encode({text!r})) gave {decoded!r}, expected {want!r}", "join with single spaces"
                )


@pytest.mark.points(4)
def test_word_unknown_words(student, seed, check):
    """Words outside the vocabulary, or under the cut-off, encode to 0 and decode to '<unk>'"""
    corpus = _corpus(seed)
    counts = Counter(WORDS.findall(corpus))
    tokenizer = student.new("word.WordTokenizer", corpus, min_freq=2)
    vocab = _vocab(tokenizer, "WordTokenizer(corpus, min_freq=2)")
    index = {token: i for i, token in enumerate(vocab)}
    rare = [word for word, count in counts.items() if count == 1][:2] or ["zebra"]
    text = f"the quokka {rare[0]} cube xylophone ."
    expected = [index.get(word, 0) for word in WORDS.findall(text)]
    with check.part("encode"):
        ids = tokenizer.call("encode", text)
        if ids != expected:
            fail(
                f"encode({text!r}) with min_freq=2 gave {ids}, expected {expected}",
                "every word outside the vocabulary (never seen, or seen fewer than min_freq times) becomes 0",
            )
    with check.part("decode"):
        decoded = tokenizer.call("decode", expected)
        want = " ".join(vocab[i] for i in expected)
        if decoded != want:
            fail(f"decode({expected}) gave {decoded!r}, expected {want!r}", "id 0 decodes to '<unk>'")


CHAR_CORPUS = "Put the cube on the table.\nÜber straße: naïve café, 東京! 🙂 9.9 < 9.11\t"


@pytest.mark.points(3)
def test_char_vocabulary(student):
    """CharTokenizer's vocabulary is '<unk>' and each distinct code point of the corpus, once"""
    vocab = _vocab(student.new("char.CharTokenizer", CHAR_CORPUS), "CharTokenizer(corpus)")
    if set(vocab[1:]) != set(CHAR_CORPUS):
        missing, extra = sorted(set(CHAR_CORPUS) - set(vocab)), sorted(set(vocab[1:]) - set(CHAR_CORPUS))
        fail(
            f"CharTokenizer(corpus).get_vocab(): missing {missing[:8]}, unexpected {extra[:8]}",
            "one token per distinct character (code point), spaces, tabs and newlines included",
        )


@pytest.mark.points(3)
def test_char_round_trip(student, seed, check):
    """CharTokenizer: decode(encode(text)) == text for texts of the corpus's characters, emoji included"""
    tokenizer = student.new("char.CharTokenizer", CHAR_CORPUS)
    vocab = _vocab(tokenizer, "CharTokenizer(corpus)")
    index = {token: i for i, token in enumerate(vocab)}
    rng = random.Random(seed)
    texts = ["".join(rng.choices(CHAR_CORPUS, k=40)) for _ in range(3)] + ["🙂\n\n\t  東京"]
    for text in texts:
        with check.part(repr(text[:20])):
            ids = tokenizer.call("encode", text)
            if ids != [index[char] for char in text]:
                fail(f"encode({text!r}) gave {ids}, expected {[index[c] for c in text]}")
            decoded = tokenizer.call("decode", ids)
            if decoded != text:
                fail(f"decode(encode({text!r})) gave {decoded!r}", "concatenate the characters, no separator")


@pytest.mark.points(3)
def test_char_unknown_characters(student):
    """CharTokenizer: unseen characters encode to 0 and decode to '<unk>'"""
    tokenizer = student.new("char.CharTokenizer", CHAR_CORPUS)
    vocab = _vocab(tokenizer, "CharTokenizer(corpus)")
    index = {token: i for i, token in enumerate(vocab)}
    text = "cube€🚀Z"
    expected = [index.get(char, 0) for char in text]
    ids = tokenizer.call("encode", text)
    if ids != expected:
        fail(f"encode({text!r}) gave {ids}, expected {expected}", "an unseen character becomes 0 ('<unk>')")
    decoded = tokenizer.call("decode", expected)
    if decoded != "cube<unk><unk><unk>":
        fail(f"decode({expected}) gave {decoded!r}, expected 'cube<unk><unk><unk>'")
