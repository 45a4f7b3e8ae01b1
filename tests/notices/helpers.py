"""Helpers for the notice tests: verified households and files that are (or only pretend to be) PDFs."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from sqlmodel import Session

from forum.accounts.models import Household, HouseholdStatus, User
from forum.timeutil import utcnow


def verify(session: Session, user: User, status: str = HouseholdStatus.APPROVED, building: str = "7") -> User:
    session.add(Household(user_id=user.id, building=building, unit="2", room="301", status=status))  # type: ignore[arg-type]
    if status == HouseholdStatus.APPROVED:
        user.verified_at = utcnow()
    session.commit()
    return user


def pdf_bytes(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
