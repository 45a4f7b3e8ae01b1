"""Demo moderation for `forum seed-demo`: reported posts waiting in the staff queue (one of them
auto-hidden by enough reports), a muted resident, and a history of moderator actions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from forum.accounts import service as accounts
from forum.accounts.models import User
from forum.boards import service as boards
from forum.boards.models import Post, Topic
from forum.demo.content import RESIDENTS, STAFF
from forum.moderation import service as moderation
from forum.moderation.models import ModerationAction, Report, ReportedPost

SPAMMER = "发票代开8888"


def seed_moderation(
    session: Session, users: dict[str, User], password: str, hide_threshold: int, now: datetime
) -> int:
    """Write the demo's reports and moderator actions; returns how many posts wait in the queue."""
    staff = users[STAFF[0]]
    spammer = session.exec(select(User).where(User.username_key == SPAMMER.lower())).first()
    spammer = spammer or accounts.register(session, username=SPAMMER, password=password)
    flea, talk, concerns = (_latest_topic(session, slug, staff) for slug in ("tiaozao", "yishi", "minqing"))
    r = [users[name] for name in RESIDENTS]

    # An advertisement in the flea market: reported as 广告 by enough neighbours to hide it.
    ad = boards.reply(
        session,
        actor=spammer,
        topic=flea,
        body="代开各类正规发票，餐饮、住宿、办公用品都能开，税点低，量大从优。"
        "有需要的加微信 fp_8888，同城可送。",
    )
    for who in r[1 : 1 + max(hide_threshold, 1)]:
        moderation.report_post(session, actor=who, post=ad, reason="ad", hide_threshold=hide_threshold)

    # A neighbour's phone number posted in anger: 泄露隐私.
    leak = boards.reply(
        session,
        actor=r[7],
        topic=concerns,
        body="天天把车横在7号楼消防通道上的那位，车牌京N·2X5XX，车主电话 139 1107 2846，大家直接打给他！",
    )
    moderation.report_post(
        session,
        actor=r[2],
        post=leak,
        reason="privacy",
        text="贴了别人的手机号和车牌，有事应该找物业或者社工",
        hide_threshold=hide_threshold,
    )

    # A quarrel in 社区议事: 辱骂, by two people.
    insult = boards.reply(
        session, actor=r[21], topic=talk, body="就你事儿多，脑子进水了吧？不懂别瞎说，丢人现眼。"
    )
    for who in (r[5], r[12]):
        moderation.report_post(session, actor=who, post=insult, reason="abuse", hide_threshold=hide_threshold)

    # A rumour: 不实信息.
    rumour = boards.reply(
        session,
        actor=r[30],
        topic=talk,
        body="内部消息：下个月整个嘉园一里都要拆迁，补偿标准已经定了，赶紧去居委会登记！",
    )
    moderation.report_post(
        session,
        actor=r[4],
        post=rumour,
        reason="false_info",
        text="居委会没有发过任何拆迁通知，别传谣",
        hide_threshold=hide_threshold,
    )

    # Decided earlier: an old advertisement hidden, its author warned; the quarrelsome neighbour
    # muted for three days after an earlier warning.
    old_ad = boards.reply(
        session, actor=spammer, topic=flea, body="高价回收旧手机、旧电脑，上门取货，微信 huishou_365。"
    )
    moderation.report_post(session, actor=r[9], post=old_ad, reason="ad", hide_threshold=hide_threshold)
    moderation.decide(
        session, actor=staff, post=old_ad, action="hide", reason="商业广告，跳蚤市场只限邻居闲置"
    )
    moderation.warn_user(
        session, actor=staff, target=spammer, reason="请勿在社区吧发布商业广告，再犯将封禁", post=old_ad
    )
    moderation.warn_user(
        session, actor=staff, target=r[21], reason="讨论请对事不对人，不要人身攻击", post=insult
    )
    moderation.mute_user(
        session, actor=staff, target=r[21], days=3, reason="警告后仍在多个帖子里骂人", post=insult
    )
    session.flush()
    _spread_in_time(session, now)
    return len(session.exec(select(ReportedPost.post_id)).all())


def _latest_topic(session: Session, slug: str, staff: User) -> Topic:
    board = boards.get_board_by_slug(session, slug)
    topic = session.exec(
        select(Topic)
        .where(Topic.board_id == board.id, col(Topic.deleted_at).is_(None), col(Topic.hidden_at).is_(None))
        .where(col(Topic.is_locked).is_(False))
        .order_by(col(Topic.last_posted_at).desc())
    ).first()
    if topic is None:  # a database without the demo topics: give the reports somewhere to live
        topic = boards.create_topic(session, actor=staff, board=board, title="邻里闲聊", body="随便聊聊。")
    return topic


def _spread_in_time(session: Session, now: datetime) -> None:
    """Reports and actions over the last two days rather than all at this second, oldest first."""
    reports = session.exec(select(Report).order_by(col(Report.id))).all()
    for i, report in enumerate(reports):
        report.created_at = now - timedelta(hours=48 - i * 4)
        post = session.get(Post, report.post_id)
        if post is not None and post.created_at > report.created_at:
            post.created_at = report.created_at - timedelta(minutes=40)
    for reported in session.exec(select(ReportedPost)).all():
        stamps = [r.created_at for r in reports if r.post_id == reported.post_id and r.resolved_at is None]
        reported.first_reported_at, reported.last_reported_at = min(stamps), max(stamps)
        if reported.auto_hidden_at is not None:
            reported.auto_hidden_at = max(stamps)
        auto_hide = session.exec(
            select(ModerationAction).where(
                ModerationAction.action == "auto_hide", ModerationAction.post_id == reported.post_id
            )
        ).first()
        if auto_hide is not None:
            auto_hide.created_at = max(stamps)
    # The staff's decisions came this morning, half an hour apart.
    decisions = session.exec(
        select(ModerationAction)
        .where(
            ModerationAction.action != "auto_hide", ModerationAction.created_at > now - timedelta(minutes=5)
        )
        .order_by(col(ModerationAction.id))
    ).all()
    for i, row in enumerate(decisions):
        row.created_at = now - timedelta(minutes=30 * (len(decisions) - i))
    session.flush()
