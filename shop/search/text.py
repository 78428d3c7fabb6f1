"""Turning what a shopper typed into something safe and bounded to search for.

Pure functions. Whatever arrives (SQL, tsquery or Lucene syntax, control
characters, 10,000 characters) leaves as at most ``MAX_TERMS`` plain word
tokens; operators are never passed through to a query parser.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 200
CATEGORY_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark between spaces
MAX_TERMS = 10
MAX_TERM_CHARS = 40
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; "_" separates like the tsvector parser does
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean(raw: str | None) -> str:
    """The query as shown back to the shopper: NFKC, no control characters, single spaces, bounded."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw[: MAX_QUERY_CHARS * 4])
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    return text[:MAX_QUERY_CHARS].strip()


def normalize(raw: str | None) -> str:
    """The query as a key (logs, popular searches, caches): lower case, words only."""
    return " ".join(terms(raw, limit=MAX_TERMS * 2))


def terms(raw: str | None, limit: int = MAX_TERMS) -> list[str]:
    """The distinct word tokens of a query, in order, lower-cased and bounded in number and length."""
    seen: list[str] = []
    for match in _WORD.finditer(clean(raw).lower()):
        word = match.group()[:MAX_TERM_CHARS]
        if word and word not in seen:
            seen.append(word)
            if len(seen) >= limit:
                break
    return seen


def minimum_should_match(count: int) -> int:
    """How many of ``count`` query terms a product must contain: all of one or
    two, all but one of three or four, 70 % of longer queries (long queries
    carry words the product text rarely repeats, e.g. "for", sizes, colours)."""
    if count <= 2:
        return count
    if count <= 4:
        return count - 1
    return max(1, -(-count * 7 // 10))
