"""The demo's sensitive-word list (the kinds of spam and insults a 社区 board really gets) and
one reply waiting in the held-posts queue."""

from __future__ import annotations

from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import service as boards
from forum.boards.models import Topic
from forum.guards import service as guards

WORDS = {
    "block": (
        "广告",
        "代开发票 刷单返利 网贷秒批 无抵押贷款 信用卡套现 办证刻章 高仿名表 代办学历 私人侦探 裸聊",
    ),
    "hold": ("需人工判断", "维权群 集体上访 拉横幅 兼职日结 VX同号 加微信领红包"),
    "mask": ("辱骂", "傻逼 脑残 废物 王八蛋 狗东西 滚蛋"),
}
HELD_REPLY = "物业一直不解决，我们建了个维权群，想加的私聊我，人多了一起去街道反映。"


def seed_guards(session: Session, *, admin: User, author: User) -> None:
    """The word list, then a reply that the list holds for review."""
    for level, (note, words) in WORDS.items():
        guards.add_words(session, actor=admin, words=words, level=level, note=note)
    topic = session.exec(
        select(Topic)
        .where(
            col(Topic.deleted_at).is_(None),
            col(Topic.hidden_at).is_(None),
            col(Topic.held_at).is_(None),
            col(Topic.is_locked).is_(False),
        )
        .order_by(col(Topic.last_posted_at).desc())
        .limit(1)
    ).first()
    if topic is not None:
        boards.reply(session, actor=author, topic=topic, body=HELD_REPLY)
