from typing import List

__all__ = ["analyze"]

def analyze(text: str, language: str = "english") -> List[str]:
    """Return the index terms of ``text`` (split, case-folded; stop words and Porter2 stems for English)."""
