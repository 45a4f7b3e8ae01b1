"""Matching the sensitive-word list: one Aho-Corasick automaton (pyahocorasick) over text folded
to NFKC + lower case + simplified Chinese, without spaces and punctuation — so 代開發票, full-width
ｄａｉｋａｉ and 代 开-发 票 all match 代开发票. Folding keeps, for every folded character, the
position of the original character it came from, so a masked word is replaced in the text as the
user wrote it.

The automaton is cached per process and database, with the stamp of the list it was built from;
every screening reads the current stamp (one tiny query) and rebuilds on a change, so an admin's
edit takes effect at once in every worker."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
from sqlmodel import Session, select

from forum.guards.models import SensitiveWord, WordLevel, WordListVersion
from forum.search.text import normalize

_ASCII_WORD = re.compile(r"^[0-9a-z]+$")


@lru_cache(maxsize=16384)
def _fold_char(char: str) -> str:
    # Separators, punctuation and invisible format characters are what spammers put between the
    # characters of a word; they are left out of the folded text.
    if unicodedata.category(char)[0] in "PZC":
        return ""
    folded = normalize(char)
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "PZC")


def fold(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original character."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        if folded:
            out.append(folded)
            origin.extend([i] * len(folded))
    return "".join(out), origin


def fold_word(word: str) -> str:
    return fold(word)[0]


@dataclass(frozen=True)
class Hit:
    start: int  # in the original text
    end: int
    word: str  # as the admin wrote it
    level: str


class Matcher:
    def __init__(self, stamp: str, words: list[tuple[str, str, str]]) -> None:
        """words: (folded form, word as written, level)."""
        self.stamp = stamp
        self.size = len(words)
        self._automaton = ahocorasick.Automaton()
        for folded, word, level in words:
            if folded:
                self._automaton.add_word(folded, (len(folded), word, level, bool(_ASCII_WORD.match(folded))))
        if len(self._automaton):
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Hit]:
        if not text or not len(self._automaton):
            return []
        folded, origin = fold(text)
        hits = []
        for end, (length, word, level, ascii_word) in self._automaton.iter(folded):
            start = origin[end - length + 1]
            stop = origin[end] + 1
            # Latin words only as whole words: "sb" is not found in "is bad" or "usb".
            if ascii_word and (_alnum_at(text, start - 1) or _alnum_at(text, stop)):
                continue
            hits.append(Hit(start, stop, word, level))
        return hits


def _alnum_at(text: str, index: int) -> bool:
    if not 0 <= index < len(text):
        return False
    return bool(_ASCII_WORD.match(_fold_char(text[index]) or " "))


_cache: dict[str, Matcher] = {}
_lock = threading.Lock()


def current_stamp(session: Session) -> str:
    return session.exec(select(WordListVersion.stamp).where(WordListVersion.id == 1)).first() or ""


def matcher(session: Session) -> Matcher:
    """The matcher for the list as the database has it now."""
    key = str(session.get_bind().url)
    # The stamp is read before the words: an edit committed in between leaves a newer list under
    # an older stamp, which the next check replaces — never an old list under the new stamp.
    stamp = current_stamp(session)
    cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached
    rows = session.exec(select(SensitiveWord.normalized, SensitiveWord.word, SensitiveWord.level)).all()
    built = Matcher(stamp, [(n, w, lvl) for n, w, lvl in rows])
    with _lock:
        _cache[key] = built
    return built


@dataclass
class Verdict:
    """What the word list says about some named texts (title, body ...)."""

    texts: dict[str, str]  # masked words replaced by asterisks
    blocked: dict[str, list[str]] = field(default_factory=dict)  # field -> words
    held: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)

    @property
    def is_held(self) -> bool:
        return bool(self.held)


def _mask(text: str, hits: list[Hit]) -> str:
    chars = list(text)
    for hit in hits:
        for i in range(hit.start, hit.end):
            if not chars[i].isspace():
                chars[i] = "*"
    return "".join(chars)


def judge(session: Session, texts: Mapping[str, str]) -> Verdict:
    """Match every text against the list: which words block, which hold, and the texts with the
    masked words replaced."""
    found = matcher(session)
    verdict = Verdict(texts=dict(texts))
    for name, text in texts.items():
        hits = found.find(text)
        if not hits:
            continue
        for hit in hits:
            if hit.level == WordLevel.BLOCK:
                bucket = verdict.blocked.setdefault(name, [])
            elif hit.level == WordLevel.HOLD:
                bucket = verdict.held
            else:
                bucket = verdict.masked
            if hit.word not in bucket:
                bucket.append(hit.word)
        masks = [h for h in hits if h.level == WordLevel.MASK]
        if masks:
            verdict.texts[name] = _mask(text, masks)
    return verdict
