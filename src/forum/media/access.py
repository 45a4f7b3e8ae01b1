"""Who may fetch an uploaded file: whoever may see what it belongs to. A picture of a floor that
staff hid or its author deleted, of a private case, or of a notice that is withdrawn or not published
yet, is gone for everyone else, even with its address; a file that belongs to nothing is served to
nobody."""

from __future__ import annotations

from sqlmodel import Session, select

from forum.accounts.models import User
from forum.boards import service as boards
from forum.boards.models import Image, Post
from forum.cases import photos as case_photos
from forum.errors import NotFound
from forum.notices import service as notices
from forum.notices.models import NoticeAttachment


def may_fetch(session: Session, *, key: str, viewer: User | None) -> bool:
    image = session.exec(select(Image).where(Image.key == key)).first()
    if image is not None:
        if image.post_id is None:
            # A photo filed with a case (a report, an update, the fix): whoever may see the case.
            return case_photos.may_see_photo(session, image_id=image.id, viewer=viewer)  # type: ignore[arg-type]
        post = session.get(Post, image.post_id)
        return post is not None and boards.may_see_post(session, post=post, viewer=viewer)
    attachment = session.exec(select(NoticeAttachment).where(NoticeAttachment.key == key)).first()
    if attachment is None:
        return False
    try:
        notices.get_notice(session, attachment.notice_id, viewer=viewer)
    except NotFound:
        return False
    return True
