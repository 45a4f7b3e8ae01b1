"""The admin's sensitive-word list and the staff's queue of posts held for review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response

from forum.boards import service as boards
from forum.errors import DomainError
from forum.guards import service
from forum.guards.models import NOTE_MAX, WordLevel
from forum.routes.deps import verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**62)]
Level = Annotated[str, Form(max_length=8)]


def _back(page: Page, name: str) -> Response:
    url = str(page.request.url_for(name))
    if page.is_htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _words_page(
    page: Page, status_code: int = 200, error: DomainError | None = None, draft: dict[str, str] | None = None
) -> Response:
    return page.render(
        "guards/words.html",
        status_code=status_code,
        words=service.list_words(page.session, actor=page.user),
        levels=service.LEVEL_LABELS,
        error=error,
        draft=draft or {"words": "", "level": WordLevel.BLOCK, "note": ""},
        note_max=NOTE_MAX,
    )


@router.get("/admin/words", name="guards:words")
def words(page: PageDep) -> Response:
    return _words_page(page)


@router.post("/admin/words", name="guards:add_words")
def add_words(
    page: PageDep,
    words: Annotated[str, Form(max_length=5000)] = "",
    level: Level = WordLevel.BLOCK,
    note: Annotated[str, Form(max_length=NOTE_MAX * 2)] = "",
) -> Response:
    done = page.attempt(
        lambda: service.add_words(page.session, actor=page.user, words=words, level=level, note=note),
        lambda error, status: _words_page(
            page, status, error, {"words": words, "level": level, "note": note}
        ),
    )
    return done if isinstance(done, Response) else _back(page, "guards:words")


@router.post("/admin/words/{word_id}/level", name="guards:set_level")
def set_level(page: PageDep, word_id: Id, level: Level = "") -> Response:
    word = service.get_word(page.session, word_id)
    done = page.attempt(
        lambda: service.set_level(page.session, actor=page.user, word=word, level=level),
        lambda error, status: _words_page(page, status, error),
    )
    return done if isinstance(done, Response) else _back(page, "guards:words")


@router.post("/admin/words/{word_id}/delete", name="guards:delete_word")
def delete_word(page: PageDep, word_id: Id) -> Response:
    word = service.get_word(page.session, word_id)
    service.delete_word(page.session, actor=page.user, word=word)
    return _back(page, "guards:words")


@router.get("/held", name="guards:held")
def held(page: PageDep) -> Response:
    items = service.held_posts(page.session, actor=page.user)
    return page.render("guards/held.html", items=items)


@router.post("/held/{post_id}/approve", name="guards:approve")
def approve(page: PageDep, post_id: Id) -> Response:
    service.approve(page.session, actor=page.user, post=boards.get_post(page.session, post_id))
    return _back(page, "guards:held")


@router.post("/held/{post_id}/reject", name="guards:reject")
def reject(page: PageDep, post_id: Id, reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    service.reject(page.session, actor=page.user, post=boards.get_post(page.session, post_id), reason=reason)
    return _back(page, "guards:held")
