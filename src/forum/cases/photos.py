"""Pictures on a case: those of its linked posts, those the resident filed with a report or an
update, and the unit's or staff's photos of the fix (整改前 / 整改后). Checked and re-encoded like
post images; served only to whoever may see the case (forum.media.access)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.models import Image, Post
from forum.boards.service import Upload, store_images
from forum.cases.models import Case, CaseEvent, CasePhoto, CasePost, PhotoKind
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


def photos_of(session: Session, case: Case) -> list[Photo]:
    """Every picture of the case: its linked posts' (visible ones), then its own, oldest first."""
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
            .where(CasePhoto.case_id == case.id)
            .order_by(col(Image.id))
        ).all()
    ]
    return found


def case_of_image(session: Session, image_id: int) -> Case | None:
    link = session.get(CasePhoto, image_id)
    return session.get(Case, link.case_id) if link is not None else None
