"""Hostile uploads through the real form: files that lie about their type, SVG with script,
polyglots, bombs, names that try to climb out of the upload folder, and URLs that try to read
other files. (tests/media/test_images.py covers the image store's own rules: EXIF stripping,
thumbnails, type by content, the size limit.)"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlmodel import select

from factories import form_post, login, make_board, make_user
from forum.boards.models import Image


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (10, 200, 90)).save(out, "PNG")
    return out.getvalue()


def gif(size: tuple[int, int] = (20, 20)) -> bytes:
    out = io.BytesIO()
    PILImage.new("P", size, 3).save(out, "GIF")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("index.html", "<script>alert(document.cookie)</script>")
        z.writestr("payload.jar", "PK-CLASS-FILE")
    return out.getvalue()


SVG_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>"
# The classic GIF/JavaScript polyglot: a GIF header that is also the start of a JS comment.
GIF_JS_HEADER = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00;*/=alert(1);//"


@pytest.fixture
def poster(client, session):  # type: ignore[no-untyped-def]
    make_board(session, "yishi")
    make_user(session, "七号楼老张")
    login(client, "七号楼老张")
    return client


def upload(client, name: str, data: bytes, content_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return form_post(
        client,
        "/b/yishi/new",
        {"title": "院子里的照片", "body": "看图说话"},
        files=[("images", (name, data, content_type))],
    )


def stored_images(session) -> list[Image]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(Image)).all())


def upload_dir(app) -> Path:  # type: ignore[no-untyped-def]
    return app.state.images.root  # type: ignore[no-any-return]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


class TestRefused:
    @pytest.mark.parametrize(
        ("name", "data", "content_type"),
        [
            ("photo.jpg", HTML, "image/jpeg"),  # HTML renamed .jpg
            ("cat.png", b"MZ\x90\x00\x03 this is a windows executable", "image/png"),
            ("logo.svg", SVG_SCRIPT, "image/svg+xml"),
            ("logo.png", SVG_SCRIPT, "image/png"),  # SVG under a raster name
            ("x.gif", GIF_JS_HEADER, "image/gif"),  # GIF header, but no image inside
            ("notes.jpg", zip_bytes(), "image/jpeg"),  # a bare ZIP
            ("doc.webp", b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj", "image/webp"),
        ],
        ids=["html-as-jpg", "exe-as-png", "svg", "svg-as-png", "gif-js-header", "zip-as-jpg", "pdf-as-webp"],
    )
    def test_content_that_is_not_an_image_is_refused_clearly(
        self, poster, session, app, name, data, content_type
    ):  # type: ignore[no-untyped-def]
        response = upload(poster, name, data, content_type)
        assert response.status_code == 400
        assert "不是有效的图片文件" in response.text or "不是支持的图片格式" in response.text
        assert name[:20] in response.text  # the message names the file
        assert stored_images(session) == [] and files_under(upload_dir(app)) == []

    def test_decompression_bomb_is_refused(self, poster, session, app):  # type: ignore[no-untyped-def]
        out = io.BytesIO()
        PILImage.new("1", (6000, 6000)).save(out, "PNG")  # 36 Mpx in a few KB; the limit is 4 Mpx
        assert len(out.getvalue()) < 100_000
        response = upload(poster, "bomb.png", out.getvalue(), "image/png")
        assert response.status_code == 413 and "分辨率过大" in response.text
        assert stored_images(session) == [] and files_under(upload_dir(app)) == []

    def test_oversized_file_is_refused_before_decoding(self, poster, session, app):  # type: ignore[no-untyped-def]
        big = png() + b"\0" * (2 * 1024 * 1024)
        response = upload(poster, "big.png", big, "image/png")
        assert response.status_code == 413 and "大小限制" in response.text
        assert stored_images(session) == []

    def test_too_many_images_are_refused(self, poster, session):  # type: ignore[no-untyped-def]
        files = [("images", (f"{i}.png", png(), "image/png")) for i in range(10)]
        response = form_post(poster, "/b/yishi/new", {"title": "十张图", "body": "多图"}, files=files)
        assert response.status_code == 400 and "最多上传 9 张图片" in response.text
        assert stored_images(session) == []


class TestPolyglotsAreDefused:
    """A real image with something else glued on is accepted as the image it is, and only the
    re-encoded pixels are stored: the glued-on part is gone."""

    @pytest.mark.parametrize(
        ("name", "data", "marker"),
        [
            ("a.png", png() + zip_bytes(), b"PK\x03\x04"),  # PNG + ZIP
            ("b.gif", gif() + b"*/=alert(document.cookie)//", b"alert"),  # GIF + JavaScript
            ("c.png", png() + HTML, b"<script>"),  # PNG + HTML
        ],
        ids=["png-zip", "gif-js", "png-html"],
    )
    def test_stored_file_is_the_reencoded_image(self, poster, session, app, name, data, marker):  # type: ignore[no-untyped-def]
        response = upload(poster, name, data, "image/png")
        assert response.status_code == 303, response.text
        [image] = stored_images(session)
        saved = app.state.images.path(image.key, image.ext).read_bytes()
        assert marker not in saved and saved != data
        assert image.content_type in ("image/png", "image/jpeg", "image/webp")
        with PILImage.open(io.BytesIO(saved)) as decoded:
            decoded.verify()
        served = poster.get(f"/media/{image.key}.{image.ext}")
        assert served.status_code == 200 and marker not in served.content


class TestFileNamesAndPaths:
    @pytest.mark.parametrize(
        "name",
        [
            "../../../../tmp/evil.png",
            "..\\..\\windows\\evil.png",
            "/etc/passwd",
            "%2e%2e%2fsecret_key.png",
            "evil.png\x00.html",
            "CON.png",
            "照片 <script>alert(1)</script>.png",
        ],
    )
    def test_a_chosen_file_name_never_becomes_a_path(self, poster, session, app, name):  # type: ignore[no-untyped-def]
        root = upload_dir(app).resolve()
        response = upload(poster, name, png(), "image/png")
        assert response.status_code == 303, response.text
        [image] = stored_images(session)
        assert re.fullmatch(r"[0-9a-f]{32}", image.key)
        for path in files_under(root.parent.parent):
            assert ".." not in path.name and "evil" not in path.name and "passwd" not in path.name
        for path in files_under(root):
            assert re.fullmatch(
                r"[0-9a-f]{32}(\.thumb\.jpg|\.png)", path.name
            ) and path.resolve().is_relative_to(root)
        topic = poster.get(response.headers["location"]).text
        assert "<script>alert(1)</script>" not in topic

    @pytest.mark.parametrize(
        "url",
        [
            "/media/../secret_key",
            "/media/..%2fsecret_key",
            "/media/..%2F..%2Fforum.db",
            "/media/%2e%2e%2f%2e%2e%2fforum.db",
            "/media/....//....//etc/passwd",
            "/media/0123456789abcdef0123456789abcdef.svg",
            "/media/0123456789abcdef0123456789abcdef.html",
            "/media/0123456789abcdef0123456789abcdef.png",  # well formed, not there
            "/media/0123456789ABCDEF0123456789ABCDEF.png",
            "/media/0123456789abcdef0123456789abcdef.png%00.html",
            "/static/../forum.db",
            "/static/%2e%2e/%2e%2e/config.py",
            "/static/..%2f..%2fconfig.py",
        ],
    )
    def test_serving_urls_cannot_reach_other_files(self, client, settings, url):  # type: ignore[no-untyped-def]
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "secret_key").write_text("do-not-serve-me")
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert b"do-not-serve-me" not in response.content and b"SQLite format" not in response.content
        assert b"Settings" not in response.content


class TestServedSafely:
    def test_every_stored_file_is_served_inert(self, poster, session):  # type: ignore[no-untyped-def]
        response = upload(poster, "photo.png", png(), "image/png")
        assert response.status_code == 303
        [image] = stored_images(session)
        for name, expected in (
            (f"{image.key}.{image.ext}", image.content_type),
            (f"{image.key}.thumb.jpg", "image/jpeg"),
        ):
            served = poster.get(f"/media/{name}")
            assert served.status_code == 200
            assert served.headers["content-type"] == expected
            assert served.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in served.headers["content-security-policy"]
            assert "default-src 'none'" in served.headers["content-security-policy"]
            assert served.headers["content-disposition"] == "inline"
            assert not served.headers["content-type"].startswith(("text/", "image/svg", "application/"))

    def test_uploads_are_not_reachable_as_static_files(self, poster, session):  # type: ignore[no-untyped-def]
        upload(poster, "photo.png", png(), "image/png")
        [image] = stored_images(session)
        assert poster.get(f"/static/{image.key[:2]}/{image.key}.{image.ext}").status_code == 404
        assert poster.get(f"/uploads/{image.key[:2]}/{image.key}.{image.ext}").status_code == 404

    def test_api_reply_images_link_only_to_media_urls(self, poster, session, client):  # type: ignore[no-untyped-def]
        response = upload(poster, "photo.png", png(), "image/png")
        topic_id = response.headers["location"].rsplit("/", 1)[1]
        replies = client.get(f"/api/v1/topics/{topic_id}/replies").json()["items"]
        [url] = replies[0]["images"]
        assert re.search(r"/media/[0-9a-f]{32}\.png$", url)


class TestWhoMayFetch:
    """A picture is served to whoever may see the floor it is in, and to nobody else — even with
    its address, which was public while the floor was."""

    @staticmethod
    def posted(poster, session) -> tuple[Image, list[str]]:  # type: ignore[no-untyped-def]
        assert upload(poster, "photo.png", png(), "image/png").status_code == 303
        [image] = stored_images(session)
        return image, [f"/media/{image.key}.{image.ext}", f"/media/{image.key}.thumb.jpg"]

    def test_a_visible_floor_s_picture_is_served_to_anyone_but_not_to_shared_caches(
        self, poster, session, make_client
    ):  # type: ignore[no-untyped-def]
        _image, urls = self.posted(poster, session)
        for url in urls:
            served = make_client().get(url)
            assert served.status_code == 200 and served.headers["cache-control"].startswith("private")

    def test_a_hidden_floor_s_picture_is_gone_for_all_but_staff(self, poster, session, make_client):  # type: ignore[no-untyped-def]
        image, urls = self.posted(poster, session)
        make_user(session, "社工小李", role="staff")
        staff = make_client()
        login(staff, "社工小李")
        assert form_post(staff, f"/p/{image.post_id}/hide").status_code == 303
        for url in urls:
            assert make_client().get(url).status_code == 404
            assert poster.get(url).status_code == 404  # its author sees "已被管理员隐藏" too
            assert staff.get(url).status_code == 200
        assert form_post(staff, f"/p/{image.post_id}/hide", {"hidden": "0"}).status_code == 303
        assert make_client().get(urls[0]).status_code == 200

    def test_a_deleted_topic_s_picture_is_gone(self, poster, session, make_client):  # type: ignore[no-untyped-def]
        image, urls = self.posted(poster, session)
        assert form_post(poster, f"/p/{image.post_id}/delete").status_code == 303
        for url in urls:
            assert make_client().get(url).status_code == 404

    def test_a_file_that_belongs_to_nothing_is_served_to_nobody(self, app, client) -> None:  # type: ignore[no-untyped-def]
        stored = app.state.images.save(png(), "orphan.png")  # e.g. its post's transaction failed
        assert (upload_dir(app) / stored.key[:2]).is_dir()
        assert client.get(f"/media/{stored.key}.{stored.ext}").status_code == 404
