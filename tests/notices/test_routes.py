"""Notices through HTTP: the pages (with and without htmx) and /api/v1/notices — refusals for
non-staff, scheduled and withdrawn notices, versions, attachments, comments, read counts."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlmodel import func, select

from factories import api_token, form_post, login
from forum.boards.models import Post
from forum.notices import service
from forum.notices.models import Notice
from forum.timeutil import SHANGHAI, utcnow
from notices.helpers import pdf_bytes

FORM = {
    "title": "7号楼、8号楼院内停车区域划分方案",
    "body": "方案见附件，欢迎提意见。",
    "category": "announcement",
}


def create(client, data=None, files=None):  # type: ignore[no-untyped-def]
    return form_post(client, "/notices/new", {**FORM, **(data or {})}, files=files)


def notice_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return int(re.search(r"/notices/(\d+)", response.headers["location"]).group(1))


class TestPublishingPages:
    def test_staff_publish_with_a_pdf_and_residents_read_it(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(
            create(client, files=[("attachments", ("停车方案.pdf", pdf_bytes(2), "application/pdf"))])
        )
        visitor = make_client()
        listing = visitor.get("/notices").text
        assert FORM["title"] in listing and "通知公告" in listing
        page = visitor.get(f"/notices/{nid}").text
        assert FORM["title"] in page and "方案见附件" in page and "停车方案.pdf" in page
        link = re.search(r'href="([^"]+/files/\d+)"', page).group(1)
        pdf = visitor.get(link)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["x-content-type-options"] == "nosniff"
        assert pdf.headers["content-disposition"].startswith(f'attachment; filename="notice-{nid}-')
        assert "filename*=UTF-8''%E5%81%9C" in pdf.headers["content-disposition"]

    def test_residents_get_403_on_the_form_and_the_post(self, client, people):  # type: ignore[no-untyped-def]
        login(client, "七号楼老张")
        assert client.get("/notices/new").status_code == 403
        assert create(client).status_code == 403
        assert "发布公告" not in client.get("/notices").text
        assert client.get("/notices").status_code == 200

    def test_visitors_are_sent_to_log_in(self, client, people):  # type: ignore[no-untyped-def]
        assert client.get("/notices/new", follow_redirects=False).status_code == 303
        assert create(client).status_code == 401

    def test_an_invalid_form_comes_back_with_the_draft_and_saves_nothing(self, client, session, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        response = create(client, {"title": "", "body": "草稿正文还在"})
        assert (
            response.status_code == 400 and "请填写标题" in response.text and "草稿正文还在" in response.text
        )
        fake = create(client, files=[("attachments", ("假的.pdf", b"%PDF-1.7 nope", "application/pdf"))])
        assert fake.status_code == 400 and "不是有效的 PDF" in fake.text and FORM["title"] in fake.text
        bad_time = create(client, {"publish_at": "下周一"})
        assert bad_time.status_code == 400 and "时间格式" in bad_time.text
        assert session.exec(select(func.count()).select_from(Notice)).one() == 0

    def test_htmx_posts_answer_hx_redirect(self, client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        response = form_post(client, "/notices/new", FORM, headers={"HX-Request": "true"})
        assert response.status_code == 204 and "/notices/" in response.headers["hx-redirect"]


class TestScheduledAndWithdrawn:
    def test_a_scheduled_notice_is_only_for_staff_until_due(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        when = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        nid = notice_id(create(client, {"title": "元旦游园活动安排", "publish_at": when}))
        page = client.get(f"/notices/{nid}").text
        assert "定时发布" in page and "发表评论" not in page
        resident = make_client()
        login(resident, "七号楼老张")
        assert "元旦游园活动安排" not in resident.get("/notices").text
        assert resident.get(f"/notices/{nid}").status_code == 404
        assert resident.get(f"/notices/{nid}/versions").status_code == 404
        assert make_client().get(f"/api/v1/notices/{nid}").status_code == 404
        assert nid not in [n["id"] for n in make_client().get("/api/v1/notices").json()["items"]]

    def test_withdrawn_leaves_lists_but_staff_keep_page_and_versions(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(create(client))
        assert (
            form_post(client, f"/notices/{nid}/edit", {**FORM, "body": "第二版", "version": "1"}).status_code
            == 303
        )
        refused = form_post(client, f"/notices/{nid}/withdraw", {"reason": ""})
        assert refused.status_code == 400 and "请填写撤回原因" in refused.text
        assert form_post(client, f"/notices/{nid}/withdraw", {"reason": "方案调整"}).status_code == 303
        staff_page = client.get(f"/notices/{nid}").text
        assert 'data-testid="withdrawn-alert"' in staff_page and "方案调整" in staff_page
        versions = client.get(f"/notices/{nid}/versions").text
        assert versions.count('data-testid="notice-version"') == 2 and "方案见附件" in versions
        visitor = make_client()
        assert FORM["title"] not in visitor.get("/notices").text
        assert visitor.get(f"/notices/{nid}").status_code == 404
        assert visitor.get(f"/notices/{nid}/versions").status_code == 404
        assert visitor.get(f"/api/v1/notices/{nid}/versions").status_code == 404
        assert visitor.get("/api/v1/notices").json()["items"] == []


class TestEditsAndComments:
    def test_an_edited_notice_shows_the_mark_and_every_version(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(create(client))
        form = client.get(f"/notices/{nid}/edit").text
        assert 'name="version" value="1"' in form and FORM["body"] in form
        assert (
            form_post(
                client, f"/notices/{nid}/edit", {**FORM, "body": "更正：东侧26个车位", "version": "1"}
            ).status_code
            == 303
        )
        stale = form_post(client, f"/notices/{nid}/edit", {**FORM, "body": "旧页面提交", "version": "1"})
        assert stale.status_code == 409 and "已被他人修改" in stale.text
        page = make_client().get(f"/notices/{nid}").text
        assert "已修改 ·" in page and "更正：东侧26个车位" in page
        versions = make_client().get(f"/notices/{nid}/versions").text
        assert "第 2 版" in versions and "第 1 版" in versions and "方案见附件" in versions

    def test_comments_show_on_the_page_and_closing_refuses_them(self, client, make_client, session, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(create(client))
        resident = make_client()
        login(resident, "七号楼老张")
        posted = form_post(resident, f"/notices/{nid}/comment", {"body": "东侧车位会不会挡消防通道？"})
        assert posted.status_code == 303 and posted.headers["location"].endswith("#floor-2")
        assert "东侧车位会不会挡消防通道" in resident.get(f"/notices/{nid}").text
        empty = form_post(resident, f"/notices/{nid}/comment", {"body": "  "})
        assert empty.status_code == 400 and "内容不能为空" in empty.text
        assert form_post(resident, f"/notices/{nid}/close-comments", {"on": "1"}).status_code == 403
        assert form_post(client, f"/notices/{nid}/close-comments", {"on": "1"}).status_code == 303
        page = resident.get(f"/notices/{nid}").text
        assert "该公告已关闭评论" in page and 'data-testid="comment-body"' not in page
        refused = form_post(resident, f"/notices/{nid}/comment", {"body": "我还想说"})
        assert refused.status_code == 409 and "关闭评论" in refused.text
        assert session.exec(select(func.count()).select_from(Post).where(Post.body == "我还想说")).one() == 0

    def test_the_comment_topic_offers_no_edit_of_the_notice_text(self, client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(create(client))
        topic_id = int(client.get(f"/api/v1/notices/{nid}").json()["topic_id"])
        page = client.get(f"/t/{topic_id}").text
        assert "查看公告原文" in page and "/edit" not in page
        post_id = client.get(f"/api/v1/topics/{topic_id}").json()["first_post"]["id"]
        refused = form_post(client, f"/p/{post_id}/edit", {"body": "悄悄改掉"})
        assert refused.status_code == 409 and "公告" in refused.text
        assert "悄悄改掉" not in client.get(f"/notices/{nid}").text

    def test_staff_see_read_households_counted_once(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        nid = notice_id(create(client))
        assert "已读住户 0 / 认证住户 2" in client.get(f"/notices/{nid}").text
        resident = make_client()
        login(resident, "七号楼老张")
        for _ in range(2):
            page = resident.get(f"/notices/{nid}").text
            assert "已读住户" not in page
        newcomer = make_client()
        login(newcomer, "新搬来的小刘")
        newcomer.get(f"/notices/{nid}")
        assert "已读住户 1 / 认证住户 2" in client.get(f"/notices/{nid}").text
        assert "已读 1/2 户" in client.get("/notices").text

    def test_pin_moves_a_notice_to_the_top(self, client, make_client, people):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        first = notice_id(create(client, {"title": "第一条"}))
        notice_id(create(client, {"title": "第二条"}))
        assert form_post(client, f"/notices/{first}/pin", {"on": "1"}).status_code == 303
        listing = make_client().get("/notices").text
        assert listing.index("第一条") < listing.index("第二条")
        finance = make_client().get("/notices?category=finance").text
        assert "第一条" not in finance and "暂无公告" in finance
        assert make_client().get("/notices?category=gossip").status_code == 422


class TestApi:
    def test_non_staff_cannot_publish(self, client, people):  # type: ignore[no-untyped-def]
        assert client.post("/api/v1/notices", json=FORM).status_code == 401
        headers = api_token(client, "七号楼老张")
        response = client.post("/api/v1/notices", json=FORM, headers=headers)
        assert response.status_code == 403 and response.json()["detail"]

    def test_create_patch_versions_withdraw(self, client, make_client, people):  # type: ignore[no-untyped-def]
        headers = api_token(client, "社工小李")
        created = client.post("/api/v1/notices", json={**FORM, "category": "finance"}, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        nid = body["id"]
        assert body["version"] == 1 and body["category_label"] == "财务公开" and body["topic_id"]
        patched = client.patch(
            f"/api/v1/notices/{nid}",
            json={"body": "更正后的收支", "version": 1, "pinned": True},
            headers=headers,
        )
        assert patched.status_code == 200 and patched.json()["version"] == 2 and patched.json()["is_pinned"]
        stale = client.patch(f"/api/v1/notices/{nid}", json={"body": "x", "version": 1}, headers=headers)
        assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
        public = make_client()
        assert [v["number"] for v in public.get(f"/api/v1/notices/{nid}/versions").json()] == [2, 1]
        detail = public.get(f"/api/v1/notices/{nid}").json()
        assert detail["version_count"] == 2 and detail["read_households"] is None
        assert public.get("/api/v1/notices?category=finance").json()["items"][0]["id"] == nid
        files = {"attachments": ("明细.pdf", pdf_bytes(1), "application/pdf")}
        attached = client.post(f"/api/v1/notices/{nid}/attachments", files=files, headers=headers)
        assert attached.status_code == 201 and attached.json()["attachments"][0]["filename"] == "明细.pdf"
        assert public.get(attached.json()["attachments"][0]["url"]).content.startswith(b"%PDF-")
        fake = {"attachments": ("x.pdf", b"%PDF-1.4 junk", "application/pdf")}
        assert (
            client.post(f"/api/v1/notices/{nid}/attachments", files=fake, headers=headers).status_code == 422
        )
        resident = api_token(public, "七号楼老张")
        assert (
            public.post(f"/api/v1/notices/{nid}/withdraw", json={"reason": "x"}, headers=resident).status_code
            == 403
        )
        withdrawn = client.post(
            f"/api/v1/notices/{nid}/withdraw", json={"reason": "数据有误"}, headers=headers
        )
        assert withdrawn.status_code == 200 and withdrawn.json()["withdraw_reason"] == "数据有误"
        assert public.get(f"/api/v1/notices/{nid}").status_code == 404
        assert [n["id"] for n in client.get("/api/v1/notices", headers=headers).json()["items"]] == [nid]

    def test_scheduled_via_api_and_bad_input(self, client, session, people):  # type: ignore[no-untyped-def]
        headers = api_token(client, "社工小李")
        later = (utcnow() + timedelta(hours=5)).isoformat()
        created = client.post("/api/v1/notices", json={**FORM, "publish_at": later}, headers=headers).json()
        assert created["topic_id"] is None
        assert client.get("/api/v1/notices").json()["items"] == []
        bad = client.post("/api/v1/notices", json={**FORM, "category": "gossip"}, headers=headers)
        assert bad.status_code == 422 and bad.json()["detail"] == "请选择公告类别"
        long = client.post("/api/v1/notices", json={**FORM, "title": "长" * 300}, headers=headers)
        assert long.status_code == 422
        service.publish_due(session, now=utcnow() + timedelta(hours=6))
        session.commit()
        assert session.get(Notice, created["id"]).topic_id is not None


class TestAttachmentPictures:
    def test_a_picture_of_a_withdrawn_or_scheduled_notice_is_gone_but_for_staff(
        self, client, make_client, people
    ):  # type: ignore[no-untyped-def]
        from PIL import Image as PILImage

        picture = io.BytesIO()
        PILImage.new("RGB", (60, 40), (200, 60, 60)).save(picture, "PNG")
        login(client, "社工小李")
        files = [("attachments", ("车位图.png", picture.getvalue(), "image/png"))]
        nid = notice_id(create(client, files=files))
        later = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        scheduled = notice_id(create(client, {"publish_at": later}, files=files))
        visitor = make_client()

        def picture_urls(notice: int) -> list[str]:
            page = client.get(f"/notices/{notice}").text
            return sorted(set(re.findall(r"/media/[0-9a-f]{32}\.(?:png|thumb\.jpg)", page)))

        published, planned = picture_urls(nid), picture_urls(scheduled)
        assert len(published) == 2 and len(planned) == 2  # the picture and its thumbnail
        for url in published:
            assert visitor.get(url).status_code == 200
        for url in planned:
            assert visitor.get(url).status_code == 404 and client.get(url).status_code == 200
        assert form_post(client, f"/notices/{nid}/withdraw", {"reason": "方案调整"}).status_code == 303
        for url in published:
            assert visitor.get(url).status_code == 404
            assert client.get(url).status_code == 200  # staff keep the record
