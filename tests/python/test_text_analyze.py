"""herondb.analyze: the text analyzer behind the full-text index.

The Porter2 stemmer is compared word for word with the reference Snowball
implementation (PyStemmer, a test-only dependency) on every distinct word of
the Python standard library's docstrings and on a generated set of tricky
forms: there must be no difference at all.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import sysconfig
import unicodedata
import warnings
from typing import List, Set

import pytest
import Stemmer

import herondb
from herondb import analyze

STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)

# Lowercase words of ASCII and Latin letters (Latin-1 Supplement, Extended-A and -B,
# without the two symbols x and / of Latin-1), with apostrophes inside.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_WORD = re.compile(f"[{_LATIN}]+(?:'[{_LATIN}]+)*")


_SKIPPED_DIRS = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}


def _stdlib_docstrings() -> List[str]:
    root = sysconfig.get_paths()["stdlib"]
    docs: List[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # The modules' own docstrings; not installed packages, not the test suite.
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    source = f.read()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # old escape sequences in some modules
                    tree = ast.parse(source)
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node, clean=False)
                    if doc:
                        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def stemmer() -> "Stemmer.Stemmer":
    return Stemmer.Stemmer("english")


@pytest.fixture(scope="module")
def docstring_words() -> Set[str]:
    words: Set[str] = set()
    for doc in _stdlib_docstrings():
        words.update(w.lower() for w in _WORD.findall(doc))
    return words


def _compare_with_snowball(words: Set[str], stemmer: "Stemmer.Stemmer") -> tuple[int, int, list]:
    """(words compared, words left out, differences) for words the tokenizer keeps whole."""
    compared, left_out, diffs = 0, 0, []
    for word in sorted(words):
        if analyze(word, "none") != [word]:
            left_out += 1  # split by the tokenizer or folded differently from str.lower
            continue
        compared += 1
        expected = [] if word in STOP_WORDS else [stemmer.stemWord(word)]
        got = analyze(word, "english")
        if got != expected:
            diffs.append((word, got, expected))
    return compared, left_out, diffs


def test_porter2_equals_snowball_on_every_stdlib_docstring_word(docstring_words, stemmer):
    assert len(docstring_words) > 5000  # the corpus really is big
    compared, left_out, diffs = _compare_with_snowball(docstring_words, stemmer)
    assert diffs[:20] == [] and len(diffs) == 0
    assert left_out <= compared // 200, left_out  # almost every word is compared


def _tricky_forms() -> Set[str]:
    forms: Set[str] = set()
    exceptional = (
        "skis skies sky dying lying tying vying hying news howe atlas cosmos bias andes idly "
        "gently ugly early only singly inning outing canning herring earring evening proceed "
        "exceed succeed generously generate communism arsenal past paste universe later emerge "
        "organ intern interval"
    ).split()
    forms.update(exceptional)
    stems = (
        "hop run add egg off rob fizz luxuriat troubl siz hope cry die lie tie happy sky ski "
        "news agree proceed exceed succeed bleed feed gener commun arsen past univers later emerg "
        "organ inter nation condition relat digit radic differ analog feud decis hope callous "
        "sensitiv geolog biolog care mind quick triplic form electr good reviv allow infer "
        "gyroscop adjust defens irrit replac depend adopt homolog activ effect bowdler prob rat "
        "ceas control roll y ay oy ey by say play enjoy"
    ).split()
    suffixes = (
        " s es ed ing ly ingly edly eed eedly ies ied ss sses us 's s's ness ful fully fulli "
        "lessly lessli ation ational ization izer ator alism aliti alli ousli ousness iveness "
        "iviti biliti bli ogist ogi logi li enci anci abli entli tional alize icate iciti ical "
        "ative al ance ence er ic able ible ant ement ment ent ism ate iti ous ive ize ion sion "
        "tion e l ll y yly ying ys"
    ).split(" ")
    for stem, suffix in itertools.product(stems, suffixes):
        forms.add(stem + suffix)
        forms.add(stem + suffix + "s")
    # Every short word over letters that matter to the rules (vowels, y, w, x, s, l...).
    letters = "aeiouybcdlnrstwx"
    for n in (1, 2, 3):
        forms.update("".join(p) for p in itertools.product(letters, repeat=n))
    forms.update("".join(p) for p in itertools.product("aeysdlg", repeat=4))
    # Apostrophes inside words, and non-ASCII Latin letters (counted as one letter).
    forms.update(
        "john's dog's can't won't o'clock rock'n'roll it's isn't y'all ma'am caf\u00e9s "
        "\u00e9ies \u00e9y na\u00efvely fianc\u00e9es r\u00e9sum\u00e9s cr\u00e8me "
        "\u00f1and\u00faes \u00fcberly \u00e6sthetic \u0153uvres \u0159\u00edzen\u00ed".split()
    )
    return forms


def test_porter2_equals_snowball_on_generated_tricky_forms(stemmer):
    forms = _tricky_forms()
    assert len(forms) > 10000
    compared, left_out, diffs = _compare_with_snowball(forms, stemmer)
    assert diffs[:20] == [] and len(diffs) == 0
    assert left_out == 0


def test_analyze_is_exported_with_english_as_the_default():
    assert herondb.analyze is analyze
    assert "analyze" in herondb.__all__
    assert analyze("The Quick brown foxes are jumping") == ["quick", "brown", "fox", "jump"]
    assert analyze("The Quick brown foxes", "none") == ["the", "quick", "brown", "foxes"]
    assert analyze("The Quick brown foxes", language="ENGLISH") == ["quick", "brown", "fox"]


def test_analyze_splits_folds_and_keeps_inner_apostrophes():
    assert analyze("don't O\u2019Neill's foo_bar 3.14 dogs'", "none") == [
        "don't", "o'neill's", "foo", "bar", "3", "14", "dogs"]
    assert analyze("\u03a3\u039f\u03a6\u039f\u03a3 \u03c3\u03bf\u03c6\u03bf\u03c2", "none") == [
        "\u03c3\u03bf\u03c6\u03bf\u03c3"] * 2
    assert analyze("\u041f\u0420\u0418\u0412\u0415\u0422", "none") == [
        "\u043f\u0440\u0438\u0432\u0435\u0442"]
    assert analyze("\u6f22\u5b57 \u30c6\u30b9\u30c8", "none") == ["\u6f22", "\u5b57", "\u30c6\u30b9\u30c8"]
    assert analyze("", "english") == []
    assert analyze(" .,;- \U0001f600 ", "english") == []


def test_analyze_lone_surrogates_separate_words():
    assert analyze("ab\ud800cd\udfff", "none") == ["ab", "cd"]


def test_analyze_long_text_equals_the_terms_of_its_parts():
    part = "Generously running tests, the caf\u00e9s' \u03a3\u039f\u03a6\u039f\u03a3 \u6f22 "
    text = part * 2000  # well above the size analyzed without the GIL
    assert analyze(text) == analyze(part) * 2000


def _expected_fold(ch: str) -> str:
    folded = ch.casefold()
    if len(folded) == 1:
        return folded
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else ch


def test_analyze_folds_latin_greek_cyrillic_like_unicode_simple_folding():
    # Every code point of Latin-1, Latin Extended-A/B, IPA, Greek and Cyrillic:
    # a word character is one term with its simple case folding; anything else
    # (symbols, punctuation, unassigned) gives no term.
    checked = 0
    for cp in range(0x80, 0x530):
        ch = chr(cp)
        if cp == 0x02BC:  # modifier letter apostrophe: an apostrophe, never a term alone
            assert analyze(ch, "none") == []
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or cat in ("Nd", "Nl"):
            assert analyze(ch, "none") == [_expected_fold(ch)], hex(cp)
            checked += 1
        else:
            assert analyze(ch, "none") == [], hex(cp)
    assert checked > 1000


def test_analyze_non_str_text_is_a_type_error():
    for bad in (b"bytes", None, 3, ["a"]):
        with pytest.raises(TypeError, match="text must be a str"):
            analyze(bad)  # type: ignore[arg-type]


def test_analyze_checks_the_text_type_before_the_language_value():
    with pytest.raises(TypeError, match="text must be a str"):
        analyze(None, "french")  # type: ignore[arg-type]


def test_analyze_non_str_language_is_a_type_error():
    with pytest.raises(TypeError, match="language must be a str"):
        analyze("text", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="language must be a str"):
        analyze("text", b"english")  # type: ignore[arg-type]


def test_analyze_unknown_language_is_a_value_error_naming_the_accepted_ones():
    for bad in ("french", "", "en", "english "):
        with pytest.raises(ValueError, match="'none' or 'english'"):
            analyze("text", bad)


def test_analyze_unknown_language_with_a_lone_surrogate_is_a_value_error():
    # The name is quoted in the message: bytes that are not UTF-8 must not
    # turn the ValueError into a UnicodeDecodeError.
    with pytest.raises(ValueError, match="'none' or 'english'") as info:
        analyze("text", "fr\ud800")
    assert not isinstance(info.value, UnicodeError)
    assert "fr\\xed\\xa0\\x80" in str(info.value)


def test_analyze_unknown_language_message_quotes_a_long_name_shortened():
    with pytest.raises(ValueError, match="'none' or 'english'") as info:
        analyze("text", "fran\u00e7ais" * 100)
    assert len(str(info.value)) < 200


def test_analyze_from_many_threads_at_once_gives_the_same_terms():
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        ("Generously running tests, the caf\u00e9s' " * 3000, "english"),
        ("\u03a3\u039f\u03a6\u039f\u03a3 dying skies " * 3000, "english"),
        ("The Quick brown foxes " * 3000, "none"),
        ("short text", "english"),
    ]
    expected = [analyze(t, lang) for t, lang in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(5):
            got = list(pool.map(lambda tl: analyze(*tl), texts * 4))
            assert got == expected * 4
