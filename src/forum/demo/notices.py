"""Demo 居务公开 notices, written through the notice services and then back-dated: the 7/8号楼
parking-area plan (find it by PARKING_PLAN), a 财务公开 table that was corrected once, the
second 协调会's minutes, the 民主评议 of the property company, a 办事指南, one notice scheduled for
next week and one withdrawn — with residents' questions and staff answers under them. Their dates
come from forum.demo.story: the minutes follow their meeting, the plan the meeting that asked
for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.models import Post, Topic
from forum.demo import story
from forum.notices import service
from forum.notices.models import Notice, NoticeVersion
from forum.timeutil import SHANGHAI

PARKING_PLAN = "7号楼、8号楼院内停车区域划分方案（征求意见稿）"
_SIGN = "\n\n嘉园一里社区居委会"

_PARKING_BODY = (
    "7号楼、8号楼院内乱停车的问题，居民在贴吧反映已久。社区收集意见后转物业公司，先后召开两次协调会，"
    "反映人、居民代表和物业公司一起拿出了下面的停车区域划分方案，现向两栋楼的居民征求意见。\n\n"
    "**一、划分原则**\n"
    "1. 消防通道（两楼之间主路）全程禁停，宽度不少于4米\n"
    "2. 优先保障本楼住户，一户限登记一辆车\n"
    "3. 老年人、残疾人车辆就近安排\n\n"
    "**二、区域划分**\n\n"
    "| 区域 | 位置 | 车位数 | 说明 |\n"
    "| --- | --- | --- | --- |\n"
    "| A区 | 7号楼东侧绿地边 | 24 | 新划线，夜间照明加装2盏路灯 |\n"
    "| B区 | 8号楼北侧 | 18 | 原自行车棚外移后腾出 |\n"
    "| C区 | 两楼南侧出入口 | 6 | 临时停车，限停30分钟 |\n\n"
    "**三、下一步**\n"
    "- 意见征求期间，欢迎在本公告下留言，也可以到居委会二楼当面提\n"
    "- 征求意见结束后，物业公司按最终方案施工划线，预计两周完成\n"
    "- 登记办法另行通知" + _SIGN
)

_FINANCE_V1 = (
    "根据居务公开制度，现将{period}社区公益事业专项经费收支情况公示如下：\n\n"
    "| 项目 | 金额（元） | 说明 |\n"
    "| --- | --- | --- |\n"
    "| 期初结余 | 18,600.00 | |\n"
    "| 本期拨付 | 50,000.00 | 街道拨付公益金 |\n"
    "| 7、8号楼消防通道禁停标线 | 2,800.00 | 物业公司代施工，凭发票报销 |\n"
    "| 48路站台无障碍坡道配套扶手 | 3,200.00 | |\n"
    "| 文明养犬协会成立活动物料 | 1,450.00 | 宣传册、拾便袋 |\n"
    "| 绿化补种（3号楼、5号楼前） | 6,300.00 | |\n"
    "| 期末结余 | 54,850.00 | |\n\n"
    "以上收支凭证在居委会存档，居民可在工作日到居委会查阅。对公示内容有疑问的，请在本公告下留言或到居委会当面询问。"
    + _SIGN
)
_FINANCE_V2 = _FINANCE_V1.replace(
    "| 绿化补种（3号楼、5号楼前） | 6,300.00 | |",
    "| 绿化补种（3号楼、5号楼前） | 5,300.00 | 更正：原公示多记1,000元 |",
).replace("| 期末结余 | 54,850.00 | |", "| 期末结余 | 55,850.00 | |")

_MINUTES = (
    "**时间**：{when}19:00—20:40\n"
    "**地点**：社区服务站二楼会议室\n"
    "**参会**：反映人代表七号楼老张、八号楼李阿姨，居民代表5人，物业公司项目经理，社区工作人员3人\n\n"
    "**一、情况通报**\n"
    "社工小李通报了第一次协调会以来的进展：物业已摸清两楼登记车辆共41辆，院内可利用空间约48个车位。\n\n"
    "**二、讨论意见**\n"
    "- 居民代表提出，东侧绿地边停车要保留老人晨练的通道\n"
    "- 8号楼住户希望自行车棚外移后加装雨棚\n"
    "- 物业提出夜间照明不足，需要加装路灯，费用从公益金中列支\n\n"
    "**三、议定事项**\n"
    "1. 物业公司一周内拿出划线方案，在居务公开征求意见\n"
    "2. 主路两侧全程禁停，物业安排夜间巡查\n"
    "3. 路灯和划线费用由社区公益金列支，支出在财务公开中公示\n\n"
    "下次协调会时间另行通知。" + _SIGN
)

_REVIEW = (
    "{when}，社区召开民主评议会，居民代表、楼门长和驻区单位代表共38人，对物业公司{year}年度服务进行评议。结果如下：\n\n"
    "| 评议项目 | 满意 | 基本满意 | 不满意 | 满意率 |\n"
    "| --- | --- | --- | --- | --- |\n"
    "| 环境卫生 | 21 | 13 | 4 | 89.5% |\n"
    "| 设施维修 | 15 | 14 | 9 | 76.3% |\n"
    "| 停车管理 | 12 | 17 | 9 | 76.3% |\n"
    "| 电梯运行 | 24 | 11 | 3 | 92.1% |\n"
    "| 服务态度 | 20 | 15 | 3 | 92.1% |\n\n"
    "**主要意见**：报修响应慢、维修后无回访；停车管理需加强夜间巡查。\n"
    "物业公司已表示将在一个月内提交整改措施，整改情况将在居务公开发布。" + _SIGN
)

_GUIDE = (
    "本社区户籍、年满80周岁的老年人可申领高龄津贴。\n\n"
    "**需要带的材料**\n"
    "- 本人身份证、户口本原件及复印件\n"
    "- 本人名下银行卡（社保卡）\n"
    "- 代办的，带代办人身份证\n\n"
    "**办理流程**\n"
    "1. 工作日到社区服务站“一门式”窗口提交材料\n"
    "2. 服务站当场初审，5个工作日内报街道审核\n"
    "3. 审核通过后，次月起按月发放到银行卡\n\n"
    "行动不便的老人，可以打服务站电话预约，社工上门办理。" + _SIGN
)

_SCHEDULED = (
    "{when}上午9:00—11:30，社区在中心广场举办邻里节游园活动：猜谜语、套圈、书法送字，"
    "文明养犬协会现场发放拾便袋。凭游园卡兑换小礼品，游园卡在各楼门长处领取。" + _SIGN
)

_WITHDRAWN = "接自来水公司通知，{when}9:00—17:00，1号楼至6号楼停水检修，请提前储水。" + _SIGN


def parking_minutes(now: datetime) -> str:
    """The minutes of the second parking 协调会 (a notice, and the meeting's own record)."""
    return _MINUTES.format(when=story.md_weekday(story.parking(now).meeting2))


def _finance_period(published: datetime) -> str:
    """The four months up to the day before it is published: 2026年7月22日至11月18日."""
    first, last = ((published - timedelta(days=n)).astimezone(SHANGHAI) for n in (120, 1))
    again = f"{last.year}年" if last.year != first.year else ""
    return f"{first.year}年{first.month}月{first.day}日至{again}{last.month}月{last.day}日"


Schedule = Callable[[datetime, Callable[[], object]], object]


def _at_once(_when: datetime, write: Callable[[], object]) -> None:
    write()


def seed_notices(
    session: Session, users: dict[str, User], now: datetime, schedule: Schedule = _at_once
) -> list[Notice]:
    """Write the demo notices (skipped if the parking plan is already there); returns them. With a
    schedule (the seed's timeline), each write happens at its moment instead, and only what was
    written by the time this returns is returned."""
    if service.find_by_title(session, PARKING_PLAN) is not None:
        return []
    staff, director, station = users["社工小李"], users["居委会王主任"], users["服务站张姐"]
    made: dict[str, Notice] = {}

    def notice(key: str, actor: User, when: datetime, **fields: object) -> None:
        def write() -> None:
            made[key] = service.create_notice(session, actor=actor, **fields)  # type: ignore[arg-type]
            _backdate(session, made[key], when)

        schedule(when, write)

    parking, review_of = story.parking(now), story.review(now)
    notice(
        "minutes",
        director,
        parking.minutes,
        title="7、8号楼院内停车问题第二次协调会会议纪要",
        body=parking_minutes(now),
        category="minutes",
    )
    published = now - timedelta(days=14)
    period = _finance_period(published)
    notice(
        "finance",
        staff,
        published,
        title=f"{period}社区公益事业专项经费收支公示",
        body=_FINANCE_V1.format(period=period),
        category="finance",
    )
    # Corrected the next day, an hour before staff answered the question that caught the error.
    corrected = published + timedelta(days=1, hours=5)

    def correct() -> None:
        body = _FINANCE_V2.format(period=period)
        service.edit_notice(session, actor=staff, notice=made["finance"], body=body, version=1)
        _backdate_edit(session, made["finance"], corrected)

    schedule(corrected, correct)
    notice(
        "plan",
        staff,
        parking.plan,
        title=PARKING_PLAN,
        body=_PARKING_BODY,
        category="announcement",
        pinned=True,
    )
    notice(
        "review",
        director,
        review_of.notice,
        title=f"{review_of.year}年度物业服务民主评议结果公示",
        body=_REVIEW.format(when=story.md(review_of.meeting), year=review_of.year),
        category="review",
    )
    notice(
        "guide",
        station,
        now - timedelta(days=30),
        title="高龄津贴申领办事指南",
        body=_GUIDE,
        category="guide",
    )
    # Announced four days ago for the day after tomorrow, then withdrawn just now: the date moved.
    cut = now + timedelta(days=2)
    notice(
        "withdrawn",
        staff,
        now - timedelta(days=4),
        title=f"关于{story.md(cut)}1至6号楼停水的通知",
        body=_WITHDRAWN.format(when=story.md_weekday(cut)),
        category="announcement",
    )
    schedule(
        now - timedelta(minutes=20),
        lambda: service.withdraw(
            session, actor=staff, notice=made["withdrawn"], reason="自来水公司调整了检修日期，新时间另行通知"
        ),
    )
    fair = now + timedelta(days=8)
    schedule(
        now - timedelta(minutes=10),
        lambda: made.setdefault(
            "scheduled",
            service.create_notice(
                session,
                actor=staff,
                title="社区邻里节游园活动通知",
                body=_SCHEDULED.format(when=story.md_weekday(fair)),
                category="announcement",
                publish_at=now + timedelta(days=5),
            ),
        ),
    )

    def comments(key: str, start: datetime, items: list[tuple[str, str] | tuple[str, str, int]]) -> None:
        """Comments (and 楼中楼 answers, given the floor they answer), three hours apart after start."""
        for n, item in enumerate(items, start=1):
            when = start + timedelta(hours=3 * n)
            name, body = item[0], item[1]
            parent = item[2] if len(item) == 3 else None  # type: ignore[misc]
            schedule(when, partial(_comment, session, made, key, users[name], body, parent, when))

    comments(
        "plan",
        parking.plan,
        [
            ("七号楼老张", "终于有方案了！A区24个车位够不够？我们楼登记的车就有二十多辆。"),
            ("社工小李", "按登记情况，7号楼23辆、8号楼18辆，A区和B区加起来42个车位，够用。", 2),
            ("八号楼李阿姨", "自行车棚挪到哪儿去？老人买菜的小推车也放那儿。"),
            ("晨练刘奶奶", "东边绿地边上我们每天早上打太极，划了车位还能走吗？"),
            ("居委会王主任", "绿地边会留1.5米的步道，不影响晨练，施工前会再跟大家确认。", 4),
            ("老陈开车", "建议C区装个限时提示牌，不然临时停车就变成长期停车了。"),
        ],
    )
    comments(
        "finance",
        published + timedelta(days=1),
        [
            ("嘉一老王头", "绿化补种6300？3号楼前就种了几棵冬青吧。"),
            ("社工小李", "谢谢提醒，核对后确实多记了1000元，已经更正，修改记录可以查到原来的版本。", 2),
            ("退休老周", "账目公开得清楚，点赞。"),
        ],
    )
    comments(
        "review",
        review_of.notice,
        [
            ("三单元王姐", "设施维修不满意的这么多，报修真的要等好几天。"),
            ("二号楼钱大爷", "希望物业的整改措施也公示出来。"),
        ],
    )
    session.flush()
    order = ("plan", "finance", "minutes", "review", "guide", "withdrawn", "scheduled")
    return [made[key] for key in order if key in made]


def _comment(
    session: Session,
    made: dict[str, Notice],
    key: str,
    actor: User,
    body: str,
    parent: int | None,
    when: datetime,
) -> None:
    notice = made[key]
    post = service.comment(session, actor=actor, notice=notice, body=body, parent_floor=parent)
    post.created_at = when
    topic = session.get(Topic, notice.topic_id)
    assert topic is not None
    topic.last_posted_at = when
    session.flush()


def _backdate(session: Session, notice: Notice, when: datetime) -> None:
    notice.publish_at = notice.created_at = when
    for version in session.exec(select(NoticeVersion).where(NoticeVersion.notice_id == notice.id)).all():
        version.created_at = when
    if notice.topic_id:
        topic = session.get(Topic, notice.topic_id)
        assert topic is not None
        topic.created_at = topic.last_posted_at = when
        for post in session.exec(select(Post).where(Post.topic_id == topic.id)).all():
            post.created_at = when
    session.flush()


def _backdate_edit(session: Session, notice: Notice, when: datetime) -> None:
    notice.edited_at = when
    latest = session.exec(
        select(NoticeVersion)
        .where(NoticeVersion.notice_id == notice.id)
        .order_by(col(NoticeVersion.number).desc())
    ).first()
    assert latest is not None
    latest.created_at = when
    if notice.topic_id:
        first = session.exec(select(Post).where(Post.topic_id == notice.topic_id, Post.floor == 1)).one()
        first.edited_at = when
    session.flush()
