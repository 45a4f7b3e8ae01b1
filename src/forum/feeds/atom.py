"""Atom feeds (RFC 4287), built with feedgen: a board's new topics, a case's public timeline and the
居务公开 notices. Feed readers carry no cookies, so a feed shows what a visitor may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

# Builds an absolute URL from a route name and its path parameters.
UrlFor = Callable[..., str]

SITE_ID = "tag:shequba,2026"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime
    published: datetime
    author: str
    content_html: str = ""
    summary: str = ""
    categories: tuple[str, ...] = ()


def render(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    link: str,
    self_link: str,
    entries: Iterable[Entry],
    updated: datetime,
) -> bytes:
    """One Atom document; entries come newest first."""
    fg = FeedGenerator()
    fg.id(f"{SITE_ID}:{feed_id}")
    fg.title(title)
    fg.subtitle(subtitle)
    fg.link(href=link, rel="alternate", type="text/html")
    fg.link(href=self_link, rel="self", type="application/atom+xml")
    fg.language("zh-CN")
    fg.generator("社区吧")
    fg.updated(updated)
    # feedgen prepends each added entry, so add oldest first to keep newest first in the document.
    for item in reversed(list(entries)):
        fe = fg.add_entry()
        fe.id(f"{SITE_ID}:{item.id}")
        fe.title(item.title)
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.author(name=item.author)
        fe.published(item.published)
        fe.updated(item.updated)
        if item.content_html:
            fe.content(item.content_html, type="html")
        if item.summary:
            fe.summary(item.summary)
        for term in item.categories:
            fe.category(term=term)
    return fg.atom_str(pretty=False)  # type: ignore[no-any-return]
