"""Serving uploaded images by their generated key, with headers that keep them inert."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from forum.errors import NotFound
from forum.media.images import CONTENT_TYPES

router = APIRouter(include_in_schema=False)
_NAME = re.compile(r"^([0-9a-f]{32})(\.thumb\.jpg|\.(jpg|png|webp))$")


@router.get("/media/{name}", name="media:file")
def media_file(request: Request, name: Annotated[str, Path(max_length=60)]) -> Response:
    match = _NAME.match(name)
    if not match:
        raise NotFound("图片不存在")
    key, thumb, ext = match.group(1), match.group(2) == ".thumb.jpg", match.group(3) or "jpg"
    store = request.app.state.images
    path = store.path(key, ext, thumb=thumb)
    if not path.is_file():
        raise NotFound("图片不存在")
    return FileResponse(
        path,
        media_type="image/jpeg" if thumb else CONTENT_TYPES[ext],
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "inline",
        },
    )
