"""The one place notifications become mail: every flush notes the Notification rows it inserted;
just before the transaction commits, their mail is queued in the outbox — in the same transaction,
so a rolled-back post mails nobody and a committed one cannot lose its mail. Installed by
forum.mail.context.use_mail, only for engines that have mail."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

from forum.mail.context import context_of
from forum.notifications.models import Notification

log = logging.getLogger("forum.mail")
_PENDING = "mail_pending_notifications"


@event.listens_for(OrmSession, "after_flush")
def _collect(session: OrmSession, _context: Any) -> None:
    notes = [obj for obj in session.new if isinstance(obj, Notification)]
    if not notes:
        return
    mail = context_of(session)  # type: ignore[arg-type]
    if mail is not None and mail.enabled:
        session.info.setdefault(_PENDING, []).extend(notes)


@event.listens_for(OrmSession, "before_commit")
def _queue(session: OrmSession) -> None:
    if not session.info.get(_PENDING):
        return
    session.flush()
    notes: list[Notification] = session.info.pop(_PENDING, [])
    # A savepoint rolled back after the flush took its notifications with it.
    notes = [note for note in notes if inspect(note).persistent]
    if not notes:
        return
    from forum.mail.service import queue_for_notifications

    try:
        with session.begin_nested():
            queue_for_notifications(session, notes=notes)  # type: ignore[arg-type]
    except Exception:
        # Mail comes second: a bug in writing it must not cost the resident their post.
        log.exception("could not queue mail for %d notifications", len(notes))


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)
