"""Post bodies: plain text with line breaks, auto-linked URLs, @mentions and a small safe markup
(**bold**, > quote, - / 1. lists). Rendered once at write time; the HTML always goes through nh3."""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

MENTION_RE = re.compile(r"@([A-Za-z0-9_\u4e00-\u9fff]{2,20})")
_ALLOWED_TAGS = {"p", "br", "strong", "em", "blockquote", "ul", "ol", "li", "a"}
_ALLOWED_ATTRS = {"a": {"href", "class"}, "ol": {"start"}}


def _mention_rule(profile_url: Callable[[str], str]) -> Callable[[StateInline, bool], bool]:
    def rule(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "@":
            return False
        # Not inside a word or an e-mail address (a@b.com).
        if state.pos > 0 and re.match(r"[A-Za-z0-9_.]", state.src[state.pos - 1]):
            return False
        match = MENTION_RE.match(state.src, state.pos)
        if not match:
            return False
        if not silent:
            name = match.group(1)
            token = state.push("link_open", "a", 1)
            token.attrs = {"href": profile_url(name), "class": "mention"}
            text = state.push("text", "", 0)
            text.content = "@" + name
            state.push("link_close", "a", -1)
        state.pos = match.end()
        return True

    return rule


def make_renderer(profile_url: Callable[[str], str] = lambda name: f"/u/{name}") -> MarkdownIt:
    md = MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False})
    md.enable(["blockquote", "list", "emphasis", "newline", "escape", "linkify"])
    md.inline.ruler.before("emphasis", "mention", _mention_rule(profile_url))
    # Limit nesting so a hostile post cannot make the renderer recurse deeply.
    md.options["maxNesting"] = 8
    return md


_renderer = make_renderer()


def render(text: str) -> str:
    """Markup source -> sanitised HTML."""
    html = _renderer.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


def mentions(text: str) -> list[str]:
    """Usernames @mentioned in the text, first occurrence order, without duplicates."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        start = match.start()
        if start > 0 and re.match(r"[A-Za-z0-9_.]", text[start - 1]):
            continue
        seen.setdefault(match.group(1), None)
    return list(seen)


def excerpt(text: str, length: int = 80) -> str:
    """A one-line plain-text excerpt of markup source (for quotes and notifications)."""
    flat = re.sub(r"\s+", " ", re.sub(r"(?m)^\s*(?:>|[-*]|\d+\.)\s*", "", text)).strip()
    flat = flat.replace("**", "")
    return flat if len(flat) <= length else flat[: length - 1] + "…"
