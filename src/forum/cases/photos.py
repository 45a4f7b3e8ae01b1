"""Pictures on a case: those of its linked posts, those the resident filed with a report or an
update, and the unit's or staff's photos of the fix (整改前 / 整改后). Checked and re-encoded like
post images; served only to whoever may see the case (forum.media.access)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.models import Image, Post
from forum.boards.service import Upload, store_images
from forum.cases import access
from forum.cases.models import Case, CaseEvent, CasePhoto, CasePost, PhotoKind
from forum.cases.workflow import Party
from forum.media.images import ImageStore
from forum.policy import Action, require

LIMIT = 9


@dataclass
class Photo:
    image: Image
    kind: str  # PhotoKind, or "post" for a picture of a linked post
    event_id: int | None


def attach(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    event: CaseEvent | None,
    uploads: Sequence[Upload],
    store: ImageStore | None,
    kind: PhotoKind,
) -> list[Image]:
    """Store the uploads and file them with the case (and the event they came with)."""
    images = store_images(
        session,
        store=store,
        actor=require(actor, Action.UPLOAD),
        post=None,
        uploads=uploads,
        limit=LIMIT,
        field="photos",
    )
    for image in images:
        session.add(
            CasePhoto(image_id=image.id, case_id=case.id, event_id=event.id if event else None, kind=kind)
        )  # type: ignore[arg-type]
    session.flush()
    return images


def photos_of(session: Session, case: Case, *, staff: bool = False) -> list[Photo]:
    """Every picture of the case: its linked posts' (visible ones), then its own, oldest first;
    those filed with a staff-only event for staff only."""
    found = [
        Photo(image, "post", None)
        for image in session.exec(
            select(Image)
            .join(Post, col(Post.id) == Image.post_id)
            .join(CasePost, col(CasePost.post_id) == Post.id)
            .where(
                CasePost.case_id == case.id,
                col(Post.deleted_at).is_(None),
                col(Post.hidden_at).is_(None),
                col(Post.held_at).is_(None),
            )
            .order_by(col(Image.id))
        ).all()
    ]
    found += [
        Photo(image, link.kind, link.event_id)
        for image, link in session.exec(
            select(Image, CasePhoto)
            .join(CasePhoto, col(CasePhoto.image_id) == Image.id)
            .outerjoin(CaseEvent, col(CaseEvent.id) == CasePhoto.event_id)
            .where(CasePhoto.case_id == case.id, or_(staff, col(CaseEvent.is_public).is_not(False)))
            .order_by(col(Image.id))
        ).all()
    ]
    return found


def may_see_photo(session: Session, *, image_id: int, viewer: User | None) -> bool:
    """A case photo: for whoever may see the case, and the event it came with."""
    link = session.get(CasePhoto, image_id)
    case = session.get(Case, link.case_id) if link is not None else None
    if link is None or case is None or not access.can_see(session, viewer, case):
        return False
    event = session.get(CaseEvent, link.event_id) if link.event_id is not None else None
    return event is None or event.is_public or Party.STAFF in access.who(session, viewer, case)
