"""The notification inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse, Response

from forum.errors import NotAuthenticated
from forum.notifications import service
from forum.routes.deps import verify_csrf
from forum.templating import PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


@router.get("/notifications", name="notifications:inbox")
def inbox(page: PageDep, before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    if page.user is None:
        return RedirectResponse("/login?next=/notifications", status_code=303)
    items = service.inbox(page.session, user=page.user, before=before, limit=30)
    return page.render(
        "notifications/inbox.html", items=items, next_before=items[-1].id if len(items) == 30 else None
    )


@router.post("/notifications/read", name="notifications:read")
def mark_read(page: PageDep) -> Response:
    if page.user is None:
        raise NotAuthenticated()
    service.mark_read(page.session, user=page.user)
    return RedirectResponse(str(page.request.url_for("notifications:inbox")), status_code=303)
