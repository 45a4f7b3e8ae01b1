"""Uploads: checked by content, size and pixel limits, metadata stripped, thumbnails, safe serving."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from factories import form_post, login, make_board, make_topic, make_user
from forum.errors import Invalid, TooLarge
from forum.media.images import ImageStore


def jpeg_with_exif(size=(640, 480)) -> bytes:  # type: ignore[no-untyped-def]
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x010E] = "GPS 39.9N 116.3E home"  # ImageDescription
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size=(32, 32)) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def store(tmp_path) -> ImageStore:  # type: ignore[no-untyped-def]
    return ImageStore(tmp_path, max_bytes=1024 * 1024, max_pixels=2_000_000, thumb_size=120)


class TestImageStore:
    def test_jpeg_is_reencoded_without_exif_and_gets_thumbnail(self, store):  # type: ignore[no-untyped-def]
        data = jpeg_with_exif()
        assert b"SecretCam" in data
        stored = store.save(data, "photo.jpg")
        saved = store.path(stored.key, stored.ext).read_bytes()
        assert b"SecretCam" not in saved
        with Image.open(io.BytesIO(saved)) as image:
            assert not image.getexif() and image.size == (640, 480)
        with Image.open(store.path(stored.key, stored.ext, thumb=True)) as thumb:
            assert max(thumb.size) == 120

    def test_type_comes_from_content_not_name(self, store):  # type: ignore[no-untyped-def]
        stored = store.save(png(), "looks-like.jpg")
        assert (stored.ext, stored.content_type) == ("png", "image/png")

    @pytest.mark.parametrize(
        "data",
        [
            b"<?php echo 1; ?>",
            b"GIF89a<script>alert(1)</script>",
            b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            b"%PDF-1.4 fake",
        ],
    )
    def test_fake_images_are_refused(self, store, data):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid):
            store.save(data, "evil.png")

    def test_oversized_file_is_refused(self, store):  # type: ignore[no-untyped-def]
        with pytest.raises(TooLarge, match="大小限制"):
            store.save(b"\xff\xd8" + b"\0" * (1024 * 1024 + 10), "big.jpg")

    def test_decompression_bomb_is_refused(self, store):  # type: ignore[no-untyped-def]
        # A tiny file that claims a huge canvas: 5000 x 5000 = 25 Mpx > 2 Mpx allowed.
        out = io.BytesIO()
        Image.new("1", (5000, 5000)).save(out, "PNG")
        assert len(out.getvalue()) < 1024 * 1024
        with pytest.raises(TooLarge, match="分辨率"):
            store.save(out.getvalue(), "bomb.png")

    def test_empty_file_is_refused(self, store):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid):
            store.save(b"", "empty.png")


class TestUploadThroughTheForm:
    def test_topic_with_image_shows_thumbnail_served_safely(self, client, session):  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        response = form_post(
            client,
            "/b/yishi/new",
            {"title": "院内乱停车照片", "body": "看图"},
            files=[("images", ("car.jpg", jpeg_with_exif(), "image/jpeg"))],
        )
        assert response.status_code == 303, response.text
        page = client.get(response.headers["location"]).text
        thumb = re.search(r'src="[^"]*/media/([0-9a-f]{32}\.thumb\.jpg)"', page)
        assert thumb, page
        served = client.get(f"/media/{thumb.group(1)}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]

    def test_fake_image_keeps_draft_and_explains(self, client, session):  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        response = form_post(
            client,
            "/b/yishi/new",
            {"title": "标题还在", "body": "正文也在"},
            files=[("images", ("cat.jpg", b"not an image at all", "image/jpeg"))],
        )
        assert response.status_code == 400
        assert (
            "不是有效的图片文件" in response.text
            and "标题还在" in response.text
            and "正文也在" in response.text
        )

    def test_oversized_image_is_413_with_draft(self, client, session):  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        big = b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024 + 100)
        response = form_post(
            client,
            "/b/yishi/new",
            {"title": "大图", "body": "正文"},
            files=[("images", ("big.jpg", big, "image/jpeg"))],
        )
        assert response.status_code == 413 and "大小限制" in response.text and "正文" in response.text

    def test_request_over_the_cap_is_413(self, client, session):  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        make_user(session, "七号楼老张")
        login(client, "七号楼老张")
        huge = b"\0" * (7 * 1024 * 1024)
        response = form_post(
            client,
            "/b/yishi/new",
            {"title": "t", "body": "b"},
            files=[("images", ("huge.jpg", huge, "image/jpeg"))],
        )
        assert response.status_code == 413 and "过大" in response.text

    def test_reply_with_image(self, client, session):  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi")
        alice = make_user(session, "七号楼老张")
        topic = make_topic(session, board=board, author=alice)
        login(client, "七号楼老张")
        response = form_post(
            client,
            f"/t/{topic.id}/reply",
            {"body": "补一张图"},
            files=[("images", ("a.png", png(), "image/png"))],
        )
        assert response.status_code == 303
        assert ".thumb.jpg" in client.get(f"/t/{topic.id}").text
