"""Text analysis: the terms herondb's full-text index stores for a string."""

from __future__ import annotations

from typing import List

from . import _core

__all__ = ["analyze"]


def analyze(text: str, language: str = "english") -> List[str]:
    """Return the index terms of ``text``, in the order they occur.

    This is the analysis a text index applies to every document and every
    query, so a term list from here is exactly what a search compares:

    * the text is read as Unicode and split into words: runs of letters and
      digits of any script (an apostrophe between two letters stays in the
      word, as in ``don't``); everything else separates words, and each
      Chinese/Japanese ideograph or Hiragana letter is a word of its own;
    * every word is case-folded (``"Straße"`` -> ``"straße"``,
      ``"ΣΟΦΌΣ"`` -> ``"σοφόσ"``); accents and Unicode normalization are
      left alone;
    * ``language="english"`` also drops the common English stop words
      (``the``, ``and``, ``of``, ... 33 of them) and reduces every word to
      its Porter2 (Snowball English) stem (``"running"`` -> ``"run"``);
      ``language="none"`` stops after case folding.

    ``language`` is matched case-insensitively. Raises TypeError when
    ``text`` or ``language`` is not a str, and ValueError for an unknown
    language.

    >>> analyze("The Quick brown foxes are jumping")
    ['quick', 'brown', 'fox', 'jump']
    >>> analyze("The Quick brown foxes", language="none")
    ['the', 'quick', 'brown', 'foxes']
    """
    return _core.analyze(text, language)
