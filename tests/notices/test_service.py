"""The notice rules, called directly: who may publish, scheduling, versions, withdrawal, comments
through the companion topic, attachments checked by content, read receipts."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, col, func, select

from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.boards.service import Upload
from forum.errors import Conflict, Invalid, NotAuthenticated, NotFound, NotPermitted, TooLarge
from forum.media.images import ImageStore
from forum.notices import queries, service
from forum.notices.files import NoticeFiles, safe_filename
from forum.notices.models import Notice, NoticeAttachment, NoticeRead, NoticeVersion
from forum.timeutil import utcnow
from notices.helpers import pdf_bytes

PLAN = "7号楼、8号楼院内停车区域划分方案"


def publish(session: Session, actor, **kw):  # type: ignore[no-untyped-def]
    fields = {
        "title": PLAN,
        "body": "经两次协调会讨论，物业拿出了停车区域划分方案。",
        "category": "announcement",
    }
    notice = service.create_notice(session, actor=actor, **(fields | kw))
    session.commit()
    return notice


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def files(tmp_path: Path) -> NoticeFiles:
    images = ImageStore(tmp_path / "up", max_bytes=1 << 20, max_pixels=4_000_000, thumb_size=200)
    return NoticeFiles(images, tmp_path / "up" / "notices", max_bytes=1 << 20)


class TestPublishing:
    def test_staff_publish_now_and_the_comment_topic_opens_on_the_notice_board(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(
            session, people.staff, body="**方案要点**\n\n| 区域 | 车位 |\n|---|---|\n| 7号楼东侧 | 24 |"
        )
        assert notice.is_public(utcnow()) and notice.version == 1
        assert "<table>" in notice.body_html and "<strong>方案要点</strong>" in notice.body_html
        topic = session.get(Topic, notice.topic_id)
        board = session.get(Board, topic.board_id)
        assert board.slug == "gongkai" and board.staff_only_topics
        first = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()
        assert topic.title == PLAN and first.body == notice.body
        assert f'href="/notices/{notice.id}"' in first.body_html

    @pytest.mark.parametrize("who", ["resident", "newcomer"])
    def test_residents_cannot_publish(self, session, people, who):  # type: ignore[no-untyped-def]
        with pytest.raises(NotPermitted):
            publish(session, getattr(people, who))
        session.rollback()
        assert count(session, Notice) == 0 and count(session, Topic) == 0

    def test_visitors_must_log_in(self, session, people):  # type: ignore[no-untyped-def]
        with pytest.raises(NotAuthenticated):
            publish(session, None)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"title": "  "}, "title"),
            ({"title": "长" * 61}, "title"),
            ({"body": ""}, "body"),
            ({"body": "字" * 10_001}, "body"),
            ({"category": "gossip"}, "category"),
            ({"publish_at": utcnow() + timedelta(days=400)}, "publish_at"),
        ],
    )
    def test_bad_input_is_refused_with_its_field(self, session, people, fields, field):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid) as info:
            publish(session, people.staff, **fields)
        assert info.value.field == field


class TestScheduling:
    def test_a_scheduled_notice_is_invisible_until_its_time_then_visible(self, session, people):  # type: ignore[no-untyped-def]
        now = utcnow()
        notice = publish(session, people.staff, publish_at=now + timedelta(hours=2))
        assert notice.topic_id is None
        with pytest.raises(NotFound):
            service.get_notice(session, notice.id, viewer=people.resident)
        with pytest.raises(NotFound):
            service.get_notice(session, notice.id, viewer=None)
        assert service.get_notice(session, notice.id, viewer=people.staff) is notice
        assert queries.notice_list(session, viewer=people.resident).rows == []
        assert [r.notice.id for r in queries.notice_list(session, viewer=people.staff).rows] == [notice.id]
        with pytest.raises(Conflict):
            service.comment(session, actor=people.resident, notice=notice, body="什么时候开始？")

        later = now + timedelta(hours=3)
        assert service.get_notice(session, notice.id, viewer=people.resident, now=later) is notice
        listed = queries.notice_list(session, viewer=None, now=later).rows
        assert [r.notice.id for r in listed] == [notice.id]

    def test_publish_due_opens_the_topic_once(self, session, people):  # type: ignore[no-untyped-def]
        now = utcnow()
        notice = publish(session, people.staff, publish_at=now + timedelta(hours=1))
        assert service.publish_due(session, now=now) == 0
        later = now + timedelta(hours=2)
        assert service.publish_due(session, now=later) == 1
        assert service.publish_due(session, now=later) == 0
        session.commit()
        assert notice.topic_id is not None and count(session, Topic) == 1

    def test_a_draft_edited_before_publication_stays_version_one(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, publish_at=utcnow() + timedelta(days=1))
        service.edit_notice(session, actor=people.staff, notice=notice, body="改过的草稿")
        assert notice.version == 1 and not notice.is_edited
        assert [v.body for v in service.versions(session, notice=notice)] == ["改过的草稿"]

    def test_rescheduling_to_now_publishes(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, publish_at=utcnow() + timedelta(days=1))
        service.edit_notice(session, actor=people.staff, notice=notice, publish_at=utcnow())
        assert notice.is_public(utcnow()) and notice.topic_id is not None


class TestEditing:
    def test_an_edit_makes_a_new_version_and_keeps_the_old_one(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, body="第一稿：7号楼东侧划出24个车位。")
        service.edit_notice(
            session, actor=people.staff, notice=notice, body="更正：7号楼东侧划出26个车位。", version=1
        )
        session.commit()
        assert notice.version == 2 and notice.is_edited and notice.edited_at is not None
        assert [(v.number, v.body) for v in service.versions(session, notice=notice)] == [
            (2, "更正：7号楼东侧划出26个车位。"),
            (1, "第一稿：7号楼东侧划出24个车位。"),
        ]
        first = session.exec(select(Post).where(Post.topic_id == notice.topic_id, Post.floor == 1)).one()
        assert "26个车位" in first.body and first.edited_at is not None

    def test_an_unchanged_text_makes_no_version(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        service.edit_notice(session, actor=people.staff, notice=notice, title=notice.title)
        assert notice.version == 1 and count(session, NoticeVersion) == 1

    def test_a_stale_edit_is_refused(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        service.edit_notice(session, actor=people.staff, notice=notice, body="第二版", version=1)
        with pytest.raises(Conflict):
            service.edit_notice(
                session, actor=people.staff, notice=notice, body="基于第一版的修改", version=1
            )

    def test_a_published_notice_cannot_be_rescheduled(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        with pytest.raises(Invalid):
            service.edit_notice(
                session, actor=people.staff, notice=notice, publish_at=utcnow() + timedelta(days=1)
            )

    def test_residents_cannot_edit(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        with pytest.raises(NotPermitted):
            service.edit_notice(session, actor=people.resident, notice=notice, body="改成我想要的")


class TestWithdrawal:
    def test_withdrawn_is_gone_for_residents_but_kept_with_versions_for_staff(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, pinned=True)
        service.edit_notice(session, actor=people.staff, notice=notice, body="第二版")
        service.withdraw(session, actor=people.staff, notice=notice, reason="方案需重新征求意见")
        session.commit()
        assert queries.notice_list(session, viewer=people.resident).pinned == []
        assert queries.notice_list(session, viewer=None).rows == []
        with pytest.raises(NotFound):
            service.get_notice(session, notice.id, viewer=people.resident)
        kept = service.get_notice(session, notice.id, viewer=people.staff)
        assert [v.number for v in service.versions(session, notice=kept)] == [2, 1]
        assert not notice.is_pinned and notice.withdraw_reason == "方案需重新征求意见"
        assert session.get(Topic, notice.topic_id).hidden_at is not None

    def test_a_reason_is_required_and_withdrawing_twice_is_refused(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        with pytest.raises(Invalid):
            service.withdraw(session, actor=people.staff, notice=notice, reason="  ")
        service.withdraw(session, actor=people.staff, notice=notice, reason="发错了")
        with pytest.raises(Conflict):
            service.withdraw(session, actor=people.staff, notice=notice, reason="再撤一次")
        with pytest.raises(Conflict):
            service.edit_notice(session, actor=people.staff, notice=notice, body="撤回后修改")

    def test_residents_cannot_withdraw(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        with pytest.raises(NotPermitted):
            service.withdraw(session, actor=people.resident, notice=notice, reason="不同意")


class TestComments:
    def test_comments_are_floors_of_the_topic(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        post = service.comment(
            session, actor=people.resident, notice=notice, body="东侧车位会影响消防通道吗？"
        )
        sub = service.comment(
            session, actor=people.staff, notice=notice, body="不会，留了4米。", parent_floor=2
        )
        assert post.floor == 2 and post.topic_id == notice.topic_id
        assert sub.floor is None and sub.parent_id == post.id

    def test_closed_comments_are_refused_and_reopening_allows_them(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        service.set_comments_closed(session, actor=people.staff, notice=notice, closed=True)
        assert session.get(Topic, notice.topic_id).is_locked
        with pytest.raises(Conflict):
            service.comment(session, actor=people.resident, notice=notice, body="还能说吗")
        service.set_comments_closed(session, actor=people.staff, notice=notice, closed=False)
        assert service.comment(session, actor=people.resident, notice=notice, body="好的").floor == 2

    def test_a_notice_published_with_comments_closed_locks_its_topic(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, comments_closed=True)
        assert session.get(Topic, notice.topic_id).is_locked

    def test_the_notice_text_in_1楼_is_not_edited_or_deleted_as_a_post(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        first = session.exec(select(Post).where(Post.topic_id == notice.topic_id, Post.floor == 1)).one()
        with pytest.raises(Conflict, match="公告"):
            boards.edit_post(session, actor=people.staff, post=first, body="悄悄改掉的公告")
        with pytest.raises(Conflict, match="公告"):
            boards.delete_post(session, actor=people.staff, post=first)
        session.rollback()
        assert first.body == notice.body and first.deleted_at is None
        comment = service.comment(session, actor=people.resident, notice=notice, body="写错了")
        boards.edit_post(session, actor=people.resident, post=comment, body="东侧车位够吗？")
        assert comment.body == "东侧车位够吗？"

    def test_residents_cannot_close_comments(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        with pytest.raises(NotPermitted):
            service.set_comments_closed(session, actor=people.resident, notice=notice, closed=True)


class TestReads:
    def test_each_verified_household_counts_once(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff)
        assert service.record_read(session, notice_id=notice.id, user_id=people.resident.id)
        assert not service.record_read(session, notice_id=notice.id, user_id=people.resident.id)
        assert service.record_read(session, notice_id=notice.id, user_id=people.neighbour.id)
        assert not service.record_read(session, notice_id=notice.id, user_id=people.newcomer.id)
        assert not service.record_read(session, notice_id=notice.id, user_id=people.staff.id)
        session.commit()
        assert queries.read_count(session, notice) == 2 and service.verified_households(session) == 2

    def test_a_scheduled_notice_records_no_read(self, session, people):  # type: ignore[no-untyped-def]
        notice = publish(session, people.staff, publish_at=utcnow() + timedelta(hours=1))
        assert not service.needs_receipt(session, notice=notice, user=people.resident)
        assert not service.record_read(session, notice_id=notice.id, user_id=people.resident.id)
        assert count(session, NoticeRead) == 0


class TestAttachments:
    def test_a_pdf_and_a_picture_are_stored_under_generated_keys(self, session, people, files):  # type: ignore[no-untyped-def]
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), "#2f6fde").save(picture, "PNG")
        notice = publish(
            session,
            people.staff,
            uploads=[
                Upload("../../2025年收支明细.pdf", pdf_bytes(3)),
                Upload("车位图.png", picture.getvalue()),
            ],
            files=files,
        )
        pdf, image = queries.attachments_of(session, notice)
        assert (pdf.kind, pdf.pages, pdf.filename, pdf.content_type) == (
            "pdf",
            3,
            "2025年收支明细.pdf",
            "application/pdf",
        )
        assert files.pdf_path(pdf.key).read_bytes().startswith(b"%PDF-")
        assert (image.kind, image.width, image.height) == ("image", 40, 30)

    @pytest.mark.parametrize(
        "data",
        [b"%PDF-1.4 not really a pdf", b"plain text pretending", b"\x89PNG\r\n\x1a\n broken"],
        ids=["fake-pdf", "text", "broken-png"],
    )
    def test_fakes_are_refused_and_nothing_is_saved(self, session, people, files, data):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid) as info:
            publish(session, people.staff, uploads=[Upload("收支明细.pdf", data)], files=files)
        session.rollback()
        assert info.value.field == "attachments" and "收支明细.pdf" in info.value.message
        assert count(session, Notice) == 0 and count(session, NoticeAttachment) == 0

    def test_an_oversized_file_is_refused(self, session, people, files):  # type: ignore[no-untyped-def]
        big = pdf_bytes() + b"%" * (1 << 20)
        with pytest.raises(TooLarge):
            publish(session, people.staff, uploads=[Upload("大文件.pdf", big)], files=files)

    def test_at_most_ten_attachments(self, session, people, files):  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid):
            publish(
                session,
                people.staff,
                uploads=[Upload(f"{i}.pdf", pdf_bytes(1)) for i in range(11)],
                files=files,
            )

    def test_safe_filenames(self):  # type: ignore[no-untyped-def]
        assert safe_filename('C:\\temp\\"a"<b>.PDF', "pdf") == "ab.pdf"
        assert safe_filename("\u202etxt.exe", "pdf") == "txt.pdf"
        assert safe_filename("", "png") == "附件.png"


class TestList:
    def test_pinned_first_then_newest_with_category_filter_and_paging(self, session, people):  # type: ignore[no-untyped-def]
        old = publish(session, people.staff, title="2024年第四季度收支公示", category="finance")
        pinned = publish(session, people.staff, title="文明养犬公约", pinned=True)
        newer = [publish(session, people.staff, title=f"通知{i}") for i in range(3)]
        base = utcnow() - timedelta(days=10)
        for i, n in enumerate([old, pinned, *newer]):
            n.publish_at = base + timedelta(hours=i)
        session.commit()
        first = queries.notice_list(session, viewer=None, limit=2)
        assert [r.notice.id for r in first.pinned] == [pinned.id]
        assert [r.notice.id for r in first.rows] == [newer[2].id, newer[1].id]
        second = queries.notice_list(session, viewer=None, limit=2, cursor=first.next_cursor)
        assert [r.notice.id for r in second.rows] == [newer[0].id, old.id] and second.pinned == []
        finance = queries.notice_list(session, viewer=None, category="finance")
        assert [r.notice.id for r in finance.rows] == [old.id]
        with pytest.raises(Invalid):
            queries.parse_category("gossip")
        assert session.exec(select(func.count()).where(col(Notice.id) > 0)).one() == 5
