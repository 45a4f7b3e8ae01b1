"""Serving uploaded images by their generated key, to whoever may see what they belong to, with
headers that keep them inert."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from forum.errors import NotFound
from forum.media.access import may_fetch
from forum.media.images import CONTENT_TYPES
from forum.routes.deps import CurrentUser, SessionDep

router = APIRouter(include_in_schema=False)
_NAME = re.compile(r"^([0-9a-f]{32})(\.thumb\.jpg|\.(jpg|png|webp))$")


@router.get("/media/{name}", name="media:file")
def media_file(
    request: Request, session: SessionDep, user: CurrentUser, name: Annotated[str, Path(max_length=60)]
) -> Response:
    match = _NAME.match(name)
    if not match:
        raise NotFound("图片不存在")
    key, thumb, ext = match.group(1), match.group(2) == ".thumb.jpg", match.group(3) or "jpg"
    store = request.app.state.images
    path = store.path(key, ext, thumb=thumb)
    if not path.is_file() or not may_fetch(session, key=key, viewer=user):
        raise NotFound("图片不存在")
    return FileResponse(
        path,
        media_type="image/jpeg" if thumb else CONTENT_TYPES[ext],
        headers={
            # Not for shared caches: the picture's post may be hidden later, and then it must be
            # gone from the server for everyone but staff.
            "Cache-Control": "private, max-age=86400",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "inline",
        },
    )
