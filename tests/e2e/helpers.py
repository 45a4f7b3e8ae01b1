"""Helpers for the browser tests: constants, screenshots, layout checks, fonts, pictures."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).parent / "screenshots"
DOCS = Path(__file__).resolve().parents[2] / "docs"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TIMEOUT_MS = 10_000


def screenshot(page, name: str, *, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    path = SCREENSHOTS / f"{name}-{'phone' if width < 600 else 'desktop'}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing sticks out sideways (the usual way a phone layout breaks)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def assert_images_loaded(page, selector: str = ".post-images img") -> int:  # type: ignore[no-untyped-def]
    images = page.locator(selector)
    count = images.count()
    for i in range(count):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        img.evaluate("el => el.decode()")
        assert img.evaluate("el => el.complete && el.naturalWidth > 0"), f"image {i} did not load"
    return count


def make_image(
    width: int = 640, height: int = 420, *, fmt: str = "PNG", scene: str = "parking", label: str = ""
) -> bytes:
    """A small illustrative picture (buildings, cars, a sign) so pages with images look real."""
    img = Image.new("RGB", (width, height), "#cfe3f7")
    d = ImageDraw.Draw(img)
    horizon = int(height * 0.62)
    for y in range(horizon):  # sky gradient
        t = y / horizon
        d.line([(0, y), (width, y)], fill=(int(150 + 70 * t), int(196 + 40 * t), int(238 + 10 * t)))
    d.rectangle([0, horizon, width, height], fill="#8c8f94" if scene == "parking" else "#7fb069")
    # residential blocks
    x = -20
    for i, (w, h, colour) in enumerate([(150, 200, "#e9d8c4"), (190, 240, "#d8c3a5"), (170, 210, "#eadfcf")]):
        top = horizon - h
        d.rectangle([x, top, x + w, horizon], fill=colour, outline="#b9a58a")
        for wy in range(top + 14, horizon - 16, 26):
            for wx in range(x + 14, x + w - 16, 28):
                d.rectangle([wx, wy, wx + 14, wy + 14], fill="#9fc1e0" if (wx + wy + i) % 3 else "#f6e7a1")
        x += w + 40
    if scene == "parking":
        d.line([(0, horizon + 40), (width, horizon + 40)], fill="#f2d23c", width=6)
        for i, colour in enumerate(["#c0392b", "#ecf0f1", "#2c3e50", "#2f6fde"]):
            cx = 30 + i * (width // 4)
            cy = horizon + 55 + (i % 2) * 25
            d.rounded_rectangle([cx, cy, cx + 120, cy + 48], radius=12, fill=colour, outline="#333")
            d.rectangle([cx + 25, cy - 18, cx + 95, cy + 4], fill="#9fb7cc", outline="#333")
            for wx in (cx + 22, cx + 98):
                d.ellipse([wx - 12, cy + 38, wx + 12, cy + 62], fill="#222")
    else:
        for i in range(7):
            tx = 20 + i * (width // 7)
            d.rectangle([tx + 18, horizon - 10, tx + 26, horizon + 40], fill="#6b4f2a")
            d.ellipse([tx - 4, horizon - 70, tx + 48, horizon - 4], fill="#3f8f4a")
    if label:
        sign_w = min(width - 40, 40 + 30 * len(label))
        d.rounded_rectangle([20, 20, 20 + sign_w, 74], radius=8, fill="#d9453b")
        if CJK_FONT.exists():
            font = ImageFont.truetype(str(CJK_FONT), 28)
            d.text((40, 28), label, font=font, fill="#fff")
    out = io.BytesIO()
    img.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def rendered_fonts(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The fonts chromium really drew the element's text with (not the CSS list): a missing CJK font
    shows up here as a fallback or as no CJK font at all."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return [f["familyName"] for f in fonts]
    finally:
        cdp.detach()
