"""Notice attachments: a PDF (the magic bytes, then parsed by pypdf) or a picture (re-encoded by the
ImageStore), whatever the file claims to be by name. Files are named by a generated key, never by
anything the uploader chose."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from forum.errors import Invalid, TooLarge
from forum.media.images import ImageStore
from forum.notices.models import FILENAME_MAX, AttachmentKind

_KEY = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\"\\/:*?<>|]")


@dataclass(frozen=True)
class StoredFile:
    key: str
    kind: str
    ext: str
    content_type: str
    size: int
    filename: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def safe_filename(name: str, ext: str) -> str:
    """The uploader's file name without any path, control or quoting characters, ending in .ext."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"\s+", " ", _UNSAFE.sub("", name)).strip(" .")
    stem = name[: -len(ext) - 1] if name.lower().endswith("." + ext) else name.rsplit(".", 1)[0]
    stem = stem.strip(" .")[: FILENAME_MAX - len(ext) - 1] or "附件"
    return f"{stem}.{ext}"


class NoticeFiles:
    def __init__(self, images: ImageStore, root: Path, *, max_bytes: int) -> None:
        self.images = images
        self.root = root
        self.max_bytes = max_bytes

    def pdf_path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("bad key")
        return self.root / key[:2] / f"{key}.pdf"

    def save(self, data: bytes, filename: str = "") -> StoredFile:
        """Check and store one upload; raise TooLarge or Invalid with a message for the user."""
        label = f"附件“{filename[:60]}”" if filename else "附件"
        if len(data) > self.max_bytes:
            raise TooLarge(f"{label}超过 {self.max_bytes // (1024 * 1024)} MB 的大小限制")
        if not data:
            raise Invalid(f"{label}是空文件", field="attachments")
        if data.startswith(b"%PDF-"):
            return self._save_pdf(data, filename, label)
        try:
            image = self.images.save(data, filename)
        except Invalid:
            raise Invalid(
                f"{label}不是有效的 PDF 或图片文件（支持 PDF、JPEG、PNG、WebP、GIF）", field="attachments"
            ) from None
        return StoredFile(
            key=image.key,
            kind=AttachmentKind.IMAGE,
            ext=image.ext,
            content_type=image.content_type,
            size=image.size,
            filename=safe_filename(filename, image.ext),
            width=image.width,
            height=image.height,
        )

    def _save_pdf(self, data: bytes, filename: str, label: str) -> StoredFile:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise Invalid(f"{label}是加密的 PDF，公开的文件请不要加密", field="attachments")
            pages = len(reader.pages)
            if pages == 0:
                raise Invalid(f"{label}是没有页面的 PDF", field="attachments")
            reader.pages[0].mediabox  # noqa: B018 - parsing the first page proves the structure holds
        except Invalid:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors for broken files
            raise Invalid(f"{label}已损坏或不是有效的 PDF 文件", field="attachments") from exc
        key = secrets.token_hex(16)
        path = self.pdf_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return StoredFile(
            key=key,
            kind=AttachmentKind.PDF,
            ext="pdf",
            content_type="application/pdf",
            size=len(data),
            filename=safe_filename(filename, "pdf"),
            pages=pages,
        )

    def delete(self, stored: StoredFile) -> None:
        if stored.kind == AttachmentKind.PDF:
            self.pdf_path(stored.key).unlink(missing_ok=True)
        else:
            self.images.delete(stored.key, stored.ext)


def make_files(images: ImageStore, upload_dir: Path, max_bytes: int) -> NoticeFiles:
    return NoticeFiles(images, upload_dir / "notices", max_bytes=max_bytes)
