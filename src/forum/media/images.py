"""Image uploads: type decided by the content (Pillow), size and pixel limits, metadata stripped by
re-encoding the pixels, a thumbnail beside the image, files named by a generated key."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from forum.errors import Invalid, TooLarge

# Formats we accept, by what Pillow finds in the bytes; the stored format and its MIME type.
_ACCEPTED = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("png", "image/png"),
}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class StoredImage:
    key: str
    ext: str
    content_type: str
    width: int
    height: int
    size: int


class ImageStore:
    def __init__(self, root: Path, *, max_bytes: int, max_pixels: int, thumb_size: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.thumb_size = thumb_size
        # Process-wide in Pillow; every store in a process is built from the same settings.
        PILImage.MAX_IMAGE_PIXELS = max_pixels

    def path(self, key: str, ext: str, *, thumb: bool = False) -> Path:
        name = f"{key}.thumb.jpg" if thumb else f"{key}.{ext}"
        return self.root / key[:2] / name

    def save(self, data: bytes, filename: str = "") -> StoredImage:
        """Validate and store one upload; raise TooLarge or Invalid with a message for the user."""
        label = f"“{filename[:60]}”" if filename else "图片"
        if len(data) > self.max_bytes:
            raise TooLarge(f"{label}超过 {self.max_bytes // (1024 * 1024)} MB 的大小限制")
        if not data:
            raise Invalid(f"{label}是空文件", field="images")
        image = self._open(data, label)
        fmt = image.format or ""
        if fmt not in _ACCEPTED:
            raise Invalid(f"{label}不是支持的图片格式（JPEG、PNG、WebP、GIF）", field="images")
        ext, content_type = _ACCEPTED[fmt]
        try:
            image = ImageOps.exif_transpose(image) or image
            if ext == "jpg":
                image = image.convert("RGB")
            elif image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            # Saving fresh pixels writes no EXIF, GPS, ICC or comment blocks.
            if ext == "jpg":
                image.save(out, "JPEG", quality=85, optimize=True)
            elif ext == "png":
                image.save(out, "PNG", optimize=True)
            else:
                image.save(out, "WEBP", quality=85)
            thumb = image.convert("RGB")
            thumb.thumbnail((self.thumb_size, self.thumb_size))
            thumb_out = io.BytesIO()
            thumb.save(thumb_out, "JPEG", quality=80)
        except (OSError, ValueError) as exc:
            raise Invalid(f"{label}已损坏，无法读取") from exc
        key = secrets.token_hex(16)
        path = self.path(key, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        self.path(key, ext, thumb=True).write_bytes(thumb_out.getvalue())
        return StoredImage(key, ext, content_type, image.width, image.height, out.tell())

    def _open(self, data: bytes, label: str) -> PILImage.Image:
        with warnings.catch_warnings():
            # Between max_pixels and twice that Pillow only warns: treat it as the bomb it is.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            try:
                probe = PILImage.open(io.BytesIO(data))
                probe.verify()
                image = PILImage.open(io.BytesIO(data))
                image.load()
                return image
            except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
                raise TooLarge(f"{label}分辨率过大") from exc
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                raise Invalid(f"{label}不是有效的图片文件", field="images") from exc

    def delete(self, key: str, ext: str) -> None:
        for thumb in (False, True):
            self.path(key, ext, thumb=thumb).unlink(missing_ok=True)
