"""Chinese text for search: NFKC + lower case + traditional→simplified (OpenCC), segmented with
jieba (rjieba, the jieba-rs binding). Numbers keep their unit ("7号楼", "48路") as one token, so
"7号楼" does not match "17号楼" or a 7 somewhere else in the text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
import rjieba
from markupsafe import Markup, escape

_t2s = opencc.OpenCC("t2s")
UNITS = frozenset({"号楼", "号", "楼", "路", "单元", "层", "室", "栋", "幢", "期", "区", "门", "号院"})
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]", re.I)
MAX_QUERY_TOKENS = 12


def normalize(text: str) -> str:
    """What both documents and queries are compared as: NFKC, lower case, simplified."""
    return _t2s.convert(unicodedata.normalize("NFKC", text).lower())


def _merge_units(tokens: list[str], *, keep_parts: bool) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.isdigit() and nxt in UNITS:
            out.append(token + nxt)
            if keep_parts:
                out += [token, nxt]
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _words(tokens: list[str]) -> list[str]:
    return [t for t in (t.strip() for t in tokens) if t and _WORD.search(t)]


def index_tokens(text: str) -> str:
    """Space-separated search tokens of a document (jieba's search mode: words and their parts)."""
    normalized = normalize(text)
    tokens = _merge_units(_words(rjieba.cut(normalized)), keep_parts=True)
    extra = _words(rjieba.cut_for_search(normalized))
    seen: dict[str, None] = dict.fromkeys(tokens)
    seen.update(dict.fromkeys(extra))
    return " ".join(seen)


def query_tokens(query: str) -> list[str]:
    """The words of a query; a document must contain all of them."""
    tokens = _merge_units(_words(rjieba.cut(normalize(query))), keep_parts=False)
    return list(dict.fromkeys(tokens))[:MAX_QUERY_TOKENS]


@lru_cache(maxsize=4096)
def _simplified_char(char: str) -> str:
    converted = _t2s.convert(char)
    return converted if len(converted) == 1 else char


def _fold(text: str) -> str:
    """Simplified, lower-case, char for char (so positions match the original text)."""
    return "".join(_simplified_char(c) for c in unicodedata.normalize("NFC", text)).lower()


def highlight(text: str, terms: list[str], *, width: int | None = None) -> Markup:
    """Escape `text` and wrap each occurrence of a term in <mark>; with `width`, cut a window of
    about that many characters around the first match. Safe to render as HTML."""
    original = unicodedata.normalize("NFC", text)
    folded = _fold(original)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = folded.find(term, end)
    spans.sort()
    lo, hi = 0, len(original)
    if width is not None and len(original) > width:
        first = spans[0][0] if spans else 0
        lo = max(0, min(first - width // 4, len(original) - width))
        hi = lo + width
    parts: list[str] = ["…" if lo > 0 else ""]
    cursor = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        parts.append(str(escape(original[cursor:start])))
        parts.append(f"<mark>{escape(original[start:end])}</mark>")
        cursor = end
    parts.append(str(escape(original[cursor:hi])))
    parts.append("…" if hi < len(original) else "")
    return Markup("".join(parts))
