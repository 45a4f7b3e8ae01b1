"""Demo moderation for `forum seed-demo`: reported posts waiting in the staff queue (one of them
auto-hidden by the reports of established residents), a muted resident, and a history of moderator
actions, over the last two days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from forum.accounts import service as accounts
from forum.accounts.models import User
from forum.boards import service as boards
from forum.boards.models import Post, Topic
from forum.demo import clock
from forum.demo.content import RESIDENTS, STAFF
from forum.moderation import service as moderation
from forum.moderation import weight

SPAMMER = "发票代开8888"


Schedule = Callable[[datetime, Callable[[], object]], object]


def seed_moderation(
    session: Session,
    users: dict[str, User],
    password: str,
    hide_threshold: int,
    now: datetime,
    schedule: Schedule | None = None,
) -> None:
    """Write the demo's reports and moderator actions of the last two days, each at its moment: at
    once (back-dated), or on the seed's timeline when given its schedule."""
    staff = users[STAFF[0]]
    spammer = session.exec(select(User).where(User.username_key == SPAMMER.lower())).first()
    if spammer is None:
        spammer = accounts.register(session, username=SPAMMER, password=password)
        spammer.created_at = now - timedelta(hours=52)
    r = [users[name] for name in RESIDENTS]
    posts: dict[str, Post] = {}
    where: dict[str, Topic] = {}

    def at(hours_ago: float, write: Callable[[], object]) -> None:
        when = now - timedelta(hours=hours_ago)
        if schedule is not None:
            schedule(when, write)
        else:
            with clock.at(session, when):
                write()

    def post(key: str, author: User, board: str, body: str) -> Callable[[], None]:
        def write() -> None:
            if board not in where:  # chosen when the first floor goes there: quiet by then
                where[board] = _quiet_topic(session, board, staff, now)
            posts[key] = boards.reply(session, actor=author, topic=where[board], body=body)

        return write

    def report(key: str, who: User, reason: str, text: str = "") -> Callable[[], None]:
        def write() -> None:
            if posts[key].hidden_at is None:  # enough neighbours have reported it already
                moderation.report_post(
                    session,
                    actor=who,
                    post=posts[key],
                    reason=reason,
                    text=text,
                    hide_threshold=hide_threshold,
                )

        return write

    # Decided this morning: an old advertisement hidden, its author warned.
    at(50, post("old_ad", spammer, "tiaozao", "高价回收旧手机、旧电脑，上门取货，微信 huishou_365。"))
    at(49, report("old_ad", r[9], "ad"))
    # A neighbour's phone number posted in anger: 泄露隐私.
    leak = "天天把车横在7号楼消防通道上的那位，车牌京N·2X5XX，车主电话 139 1107 2846，大家直接打给他！"
    at(40, post("leak", r[7], "minqing", leak))
    at(38, report("leak", r[2], "privacy", "贴了别人的手机号和车牌，有事应该找物业或者社工"))
    # An advertisement in the flea market, reported as 广告 by established neighbours (verified,
    # here for months, with posts that stand) until their reports weigh enough to hide it.
    ad = "代开各类正规发票，餐饮、住宿、办公用品都能开，税点低，量大从优。有需要的加微信 fp_8888，同城可送。"
    at(30, post("ad", spammer, "tiaozao", ad))
    trusted: list[User] = []

    def report_ad(n: int) -> None:
        trusted[:] = trusted or _trusted(session, r, now)  # weighed when the reports come in
        report("ad", trusted[n], "ad")()

    for n, hours in enumerate((28.0, 26.5, 25.0, 23.5, 22.0, 20.5)):
        at(hours, lambda n=n: report_ad(n))
    # A quarrel in 社区议事: 辱骂, by two people.
    at(20, post("insult", r[21], "yishi", "就你事儿多，脑子进水了吧？不懂别瞎说，丢人现眼。"))
    at(18, report("insult", r[5], "abuse"))
    at(16, report("insult", r[12], "abuse"))
    # A rumour: 不实信息.
    rumour = "内部消息：下个月整个嘉园一里都要拆迁，补偿标准已经定了，赶紧去居委会登记！"
    at(12, post("rumour", r[30], "yishi", rumour))
    at(10, report("rumour", r[4], "false_info", "居委会没有发过任何拆迁通知，别传谣"))

    # This morning's decisions, the last a moment ago: the mute runs three days from now.
    def hide() -> None:
        reason = "商业广告，跳蚤市场只限邻居闲置"
        moderation.decide(session, actor=staff, post=posts["old_ad"], action="hide", reason=reason)

    def warn(target: User, key: str, reason: str) -> Callable[[], None]:
        return lambda: moderation.warn_user(
            session, actor=staff, target=target, reason=reason, post=posts[key]
        )

    def mute() -> None:
        reason = "警告后仍在多个帖子里骂人"
        moderation.mute_user(session, actor=staff, target=r[21], days=3, reason=reason, post=posts["insult"])

    at(2, hide)
    at(1.5, warn(spammer, "old_ad", "请勿在社区吧发布商业广告，再犯将封禁"))
    at(0.5, warn(r[21], "insult", "讨论请对事不对人，不要人身攻击"))
    at(0.05, mute)


def _trusted(session: Session, residents: list[User], now: datetime) -> list[User]:
    """Residents whose reports weigh most (forum.moderation.weight), heaviest first."""
    weights = weight.weights(session, residents, now=now)
    return sorted(residents, key=lambda u: -weights.get(u.id, 0.0))  # type: ignore[arg-type]


def _quiet_topic(session: Session, slug: str, staff: User, now: datetime) -> Topic:
    """The board's most recently active topic that has been quiet for three days (so the new
    floors come after its last one)."""
    board = boards.get_board_by_slug(session, slug)
    topic = session.exec(
        select(Topic)
        .where(Topic.board_id == board.id, col(Topic.deleted_at).is_(None), col(Topic.hidden_at).is_(None))
        .where(
            col(Topic.held_at).is_(None), col(Topic.is_locked).is_(False), col(Topic.is_featured).is_(False)
        )
        .where(col(Topic.last_posted_at) < now - timedelta(days=3))
        .order_by(col(Topic.last_posted_at).desc())
    ).first()
    if topic is None:  # a database without the demo topics: give the reports somewhere to live
        with clock.at(session, now - timedelta(days=4)):
            topic = boards.create_topic(
                session, actor=staff, board=board, title="邻里闲聊", body="随便聊聊。"
            )
    return topic
