"""`forum seed-demo`: the 嘉园一里 community — boards, residents and staff, a few hundred topics
with replies and 楼中楼 — written through the real services, then back-dated to look lived-in."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forum.accounts import service as accounts
from forum.accounts.models import Household, HouseholdStatus, RoleName, User
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.cases import followup as case_followup
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings
from forum.cases import service as cases
from forum.cases import units as case_units
from forum.config import Settings
from forum.db import session_scope
from forum.demo.consultations import seed_consultations
from forum.demo.content import BOARDS, RESIDENTS, STAFF, build_topics
from forum.demo.guards import seed_guards
from forum.demo.moderation import seed_moderation
from forum.demo.notices import seed_notices
from forum.timeutil import utcnow

DEMO_PASSWORD = "jiayuan-demo"
ADMIN = "管理员"


def seed_demo(
    engine: Engine,
    settings: Settings,
    *,
    console: Console | None = None,
    only_if_empty: bool = True,
    seed: int = 20160101,
) -> int:
    """Load the demo community; returns the number of topics written (0 if skipped)."""
    console = console or Console()
    with session_scope(engine, write=True) as session:
        if only_if_empty and session.exec(select(Topic.id).limit(1)).first() is not None:
            console.print("数据库里已经有帖子，跳过演示数据（用 --force 强制添加）")
            return 0
        users = _people(session)
        system = users[ADMIN]
        by_slug = _boards(session, system)
    rng = random.Random(seed)
    topics = build_topics(rng)
    now = utcnow()
    with Progress(console=console, transient=True) as progress, session_scope(engine, write=True) as session:
        task = progress.add_task("写入演示帖子", total=len(topics))
        users = {name: session.merge(user, load=False) for name, user in users.items()}
        by_slug = {slug: session.merge(board, load=False) for slug, board in by_slug.items()}
        # Oldest first, so ids grow with time like a real board.
        for demo in sorted(topics, key=lambda t: -t.days_ago):
            _topic(session, demo, users, by_slug, now, rng)
            progress.advance(task)
        case_count = _cases(session, users, rng, now)
        seed_consultations(session, users, RESIDENTS, STAFF[0], rng, now)  # forum.demo.consultations
        seed_notices(session, users, now)  # 居务公开 (forum.demo.notices)
        seed_moderation(session, users, DEMO_PASSWORD, settings.report_hide_threshold, now)  # 举报, 禁言
        seed_guards(session, admin=users[ADMIN], author=users[RESIDENTS[4]])  # forum.demo.guards
    console.print(
        f"[green]已写入演示数据[/green]：{len(by_slug)} 个版块，{len(topics)} 个主题，"
        f"{sum(len(t.replies) for t in topics)} 条回复，{case_count} 件民情意见"
    )
    console.print(
        f"演示账号（密码都是 [bold]{DEMO_PASSWORD}[/bold]）：管理员「{ADMIN}」，"
        f"社工「{STAFF[0]}」，居民「{RESIDENTS[0]}」，物业联系人「{UNIT_CONTACTS[0][0]}」等"
    )
    return len(topics)


def _people(session: Session) -> dict[str, User]:
    wanted = (
        [(ADMIN, RoleName.ADMIN)]
        + [(n, RoleName.GRID_WORKER if n.startswith("网格员") else RoleName.STAFF) for n in STAFF]
        + [(n, RoleName.VOLUNTEER if i % 10 == 3 else RoleName.RESIDENT) for i, n in enumerate(RESIDENTS)]
    )
    users: dict[str, User] = {}
    for i, (name, role) in enumerate(wanted):
        existing = session.exec(select(User).where(User.username_key == name.lower())).first()
        user = existing or accounts.register(session, username=name, password=DEMO_PASSWORD, role=role)
        users[name] = user
        # Most residents have had their household verified by staff.
        if role in (RoleName.RESIDENT, RoleName.VOLUNTEER) and i % 3 != 0 and existing is None:
            session.add(
                Household(
                    user_id=user.id,
                    building=str(i % 12 + 1),
                    unit=str(i % 4 + 1),  # type: ignore[arg-type]
                    room=f"{i % 6 + 1}0{i % 4 + 1}",
                    status=HouseholdStatus.APPROVED,
                    reviewed_at=utcnow(),
                )
            )
            user.verified_at = utcnow()
    session.flush()
    return users


def _boards(session: Session, admin: User) -> dict[str, Board]:
    by_slug = {b.slug: b for b in boards.list_boards(session)}
    for slug, name, description, staff_only in BOARDS:
        if slug not in by_slug:
            by_slug[slug] = boards.create_board(
                session,
                actor=admin,
                slug=slug,
                name=name,
                description=description,
                staff_only_topics=staff_only,
            )
    return by_slug


def _topic(session: Session, demo, users, by_slug, now, rng) -> None:  # type: ignore[no-untyped-def]
    author = users[demo.author]
    topic = boards.create_topic(
        session, actor=author, board=by_slug[demo.board], title=demo.title, body=demo.body, tags=demo.tags
    )
    start = now - timedelta(days=demo.days_ago)
    when = start
    stamps: list[tuple[Post, object]] = [(boards.first_post(session, topic), start)]
    for floor_index, reply in enumerate(demo.replies, start=2):
        when = when + timedelta(minutes=rng.randint(3, 600) if floor_index < 6 else rng.randint(20, 2400))
        when = min(when, now - timedelta(minutes=1))
        post = boards.reply(session, actor=users[reply.author], topic=topic, body=reply.body)
        stamps.append((post, when))
        sub_when = when
        for sub in reply.subreplies:
            sub_when = min(sub_when + timedelta(minutes=rng.randint(2, 300)), now - timedelta(seconds=30))
            stamps.append(
                (
                    boards.reply(
                        session, actor=users[sub.author], topic=topic, body=sub.body, parent_floor=post.floor
                    ),
                    sub_when,
                )
            )
    for post, stamp in stamps:
        post.created_at = stamp  # type: ignore[assignment]
    topic.created_at = start
    topic.last_posted_at = max(stamp for _p, stamp in stamps)  # type: ignore[type-var, assignment]
    topic.is_pinned, topic.is_featured = demo.pinned, demo.featured
    session.flush()
    # A few old threads get locked, as staff do once a matter is settled.
    if demo.days_ago > 120 and rng.random() < 0.05:
        topic.is_locked = True


# --- 民情意见 cases ----------------------------------------------------------------------------------

UNIT_CONTACTS = [
    ("物业小刘", "物业公司"),
    ("驻区单位老陈", "驻区单位"),
    ("施工单位王工", "施工单位"),
    ("城管科小赵", "街道城管科"),
]

# The example cases of DOMAIN.md, by the words their demo topics start with, and how far they got.
_EXAMPLES = [
    ("7、8号楼院内乱停车", "followed_up"),
    ("48路公交站台太高", "resolved"),
    ("楼门电梯分时段运行", "closed"),
    ("南边工地施工扰民", "in_progress"),
    ("不文明养狗的问题", "closed"),
]
_OFFLINE = [
    (
        "visit",
        "3号楼2单元楼道堆放纸箱杂物",
        "走访时发现3号楼2单元一至三层楼道堆满纸箱和旧家具，影响消防通道。",
        "xiaofang",
        "3",
    ),
    (
        "phone",
        "11号楼顶层漏雨",
        "王大爷来电：连续下雨后11号楼6层客厅天花板渗水，家里有老人，希望尽快修。",
        "wuye",
        "11",
    ),
    (
        "contact_card",
        "小区东门路灯不亮",
        "民情联系卡反映：东门到5号楼的三盏路灯坏了半个月，晚上很黑。",
        "huanjing",
        "5",
    ),
    ("walk_in", "希望增设老年人助餐点", "多位老人来居委会反映，希望在社区服务站开设午间助餐点。", "fuli", ""),
    ("log", "9号楼前垃圾桶满溢", "民情日志：9号楼前垃圾桶每天傍晚就满了，夏天气味很大。", "huanjing", "9"),
    (
        "visit",
        "6号楼独居老人需要定期探访",
        "走访发现6号楼独居的李奶奶行动不便，希望志愿者定期上门。",
        "fuli",
        "6",
    ),
]


def _cases(session: Session, users: dict[str, User], rng: random.Random, now: datetime) -> int:
    from forum.cases.models import Case, CaseEvent, Status

    staff = users[STAFF[0]]
    contacts = {}
    for name, unit_name in UNIT_CONTACTS:
        contact = users.get(name) or accounts.register(
            session, username=name, password=DEMO_PASSWORD, role=RoleName.UNIT_CONTACT
        )
        users[name] = contact
        unit = case_units.find_unit(session, unit_name)
        case_units.set_unit_member(session, actor=users[ADMIN], unit=unit, user=contact)  # type: ignore[arg-type]
        contacts[unit_name] = contact
    topics = list(
        session.exec(
            select(Topic)
            .join(Board, Board.id == Topic.board_id)  # type: ignore[arg-type]
            .where(col(Board.slug).in_(["minqing", "yishi"]))
        ).all()
    )
    by_title = {t.title: t for t in topics}
    opened: list[tuple[Case, str]] = []
    for prefix, goal in _EXAMPLES:
        topic = next((t for title, t in by_title.items() if title.startswith(prefix)), None)
        if topic is not None:
            opened.append(
                (case_intake.open_case(session, actor=staff, post=boards.first_post(session, topic)), goal)
            )
    tagged = sorted(topics, key=lambda t: (t.id,))
    rng.shuffle(tagged)
    goals = (
        ["submitted"] * 5
        + ["accepted"] * 4
        + ["in_progress"] * 7
        + ["resolved"] * 4
        + ["followed_up"] * 6
        + ["closed"] * 4
        + ["rejected"] * 2
        + ["duplicate"] * 2
        + ["unhappy"] * 2
    )
    for topic in tagged:
        if len(opened) >= len(_EXAMPLES) + len(goals):
            break
        post = boards.first_post(session, topic)
        if (
            session.exec(select(Case.id).where(Case.topic_id == topic.id)).first() is not None
            or not post.is_visible
        ):
            continue
        opened.append(
            (
                case_intake.open_case(session, actor=users[STAFF[rng.randrange(len(STAFF))]], post=post),
                goals[len(opened) - len(_EXAMPLES)],
            )
        )
    for source, title, description, category, building in _OFFLINE:
        opened.append(
            (
                case_intake.open_case(
                    session,
                    actor=users[STAFF[-1]],
                    title=title,
                    description=description,
                    source=source,
                    category=category,
                    building=building,
                ),
                rng.choice(["submitted", "accepted", "in_progress", "resolved"]),
            )
        )
    # Duplicates last, so there is a live case (one still being handled) to merge them into.
    for case, goal in sorted(opened, key=lambda pair: pair[1] == "duplicate"):
        live = next((c for c, g in opened if g == "in_progress" and c.status == "in_progress"), opened[0][0])
        _advance(session, cases, case, goal, staff, contacts, users, live, rng)
    # Back-date: each case opened when its topic was posted (or in the last weeks), events spaced after.
    for case, _goal in opened:
        topic = session.get(Topic, case.topic_id) if case.topic_id else None
        start = (
            (topic.created_at + timedelta(hours=rng.randint(2, 30)))
            if topic
            else now - timedelta(days=rng.randint(3, 40))
        )
        events = list(
            session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        )  # type: ignore[arg-type]
        when = min(start, now - timedelta(days=1))
        stamps: dict[str, datetime] = {}
        for event in events:
            event.created_at = when
            stamps.setdefault(event.kind, when)
            when = min(when + timedelta(hours=rng.randint(5, 96)), now - timedelta(minutes=5))
        days = rng.choice([3, 5, 7, 10])
        case.created_at = events[0].created_at
        case.due_at = case.created_at + timedelta(days=days)
        case.updated_at = events[-1].created_at
        case.accepted_at = stamps.get("accept") if case.accepted_at else None
        if case.resolved_at:
            case.resolved_at = stamps.get("resolve", case.updated_at)
        if case.followed_up_at:
            case.followed_up_at = stamps.get("rate", stamps.get("follow_up", case.updated_at))
        if case.closed_at:
            case.closed_at = case.updated_at
        if case.status in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS) and rng.random() < 0.5:
            case.due_at = now + timedelta(days=rng.randint(1, 6))  # some still on time
    session.flush()
    return len(opened)


def _advance(session, cases, case, goal, staff, contacts, users, parking, rng) -> None:  # type: ignore[no-untyped-def]
    from forum.cases.models import Status

    unit_name = case_units.get_unit(session, case.unit_id).name if case.unit_id else None
    unit = contacts.get(unit_name) if unit_name else None
    poster = session.get(User, case.poster_id) if case.poster_id else None
    residents = [users[n] for n in RESIDENTS if users[n].id != case.poster_id]
    for supporter in rng.sample(residents, rng.randint(0, 9)):
        cases.support(session, actor=supporter, case=case)
    if goal == "submitted":
        return
    if goal == "rejected":
        cases.perform(
            session,
            actor=staff,
            case=case,
            action="reject",
            note="经核实属于业主个人房屋质量问题，请联系开发商保修，社区可协助联系。",
        )
        return
    if goal == "duplicate":
        if case.id != parking.id and parking.status in (
            Status.SUBMITTED,
            Status.ACCEPTED,
            Status.IN_PROGRESS,
            Status.RESOLVED,
        ):
            cases.merge(
                session, actor=staff, case=case, into=parking, note=f"与 #{parking.id} 反映的是同一事项"
            )
        return
    cases.perform(session, actor=staff, case=case, action="accept", note="已受理，转交责任单位办理。")
    if case.title.startswith("48路"):
        cases.assign(session, actor=staff, case=case, unit="驻区单位", note="公交站台由驻区建设单位负责")
        unit = contacts["驻区单位"]
    if goal == "accepted":
        return
    actor = unit or staff
    cases.perform(session, actor=actor, case=case, action="start")
    if case.title.startswith(("7、8号楼", "南边工地")):
        for n, decision in enumerate(
            ["摸清车辆和住户需求，物业拿出方案", "在两楼之间规划停车区，增设车位"], 1
        ):
            if case.title.startswith("南边工地") and n == 2:
                decision = "施工单位承诺22点后停工，按户发放扰民补偿"
            case_meetings.record_meeting(
                session,
                actor=staff,
                kind="coordination" if n == 1 else "mediation",
                title=f"{case.title[:20]}第{n}次协调会",
                starts_at=utcnow() - timedelta(days=30 - 10 * n),
                place="居委会二楼会议室",
                attendees="反映人、居民代表、责任单位、社区工作人员",
                minutes="各方介绍情况，居民代表发表意见。",
                decisions=decision,
                case_ids=[case.id],
            )
    cases.comment(
        session,
        actor=actor,
        case=case,
        note=rng.choice(
            [
                "已派人现场查看，正在制定整改方案。",
                "已联系相关负责人，本周内给出处理意见。",
                "材料已采购，安排下周施工。",
            ]
        ),
    )
    if goal == "in_progress":
        return
    cases.perform(
        session,
        actor=actor,
        case=case,
        action="resolve",
        note=rng.choice(
            ["已处理完毕，请居民查看效果。", "已整改到位，欢迎监督。", "问题已解决，后续会持续巡查。"]
        ),
    )
    if goal == "resolved" or poster is None:
        if goal in ("followed_up", "closed") and poster is None:
            cases.perform(
                session, actor=staff, case=case, action="follow_up", note="电话回访，居民表示满意。"
            )
        return
    if goal == "unhappy":
        case_followup.rate(
            session,
            actor=poster,
            case=case,
            rating="unsatisfied",
            comment_text="问题没有根本解决，还是老样子。",
        )
        return
    case_followup.rate(
        session,
        actor=poster,
        case=case,
        rating=rng.choice(["satisfied", "satisfied", "basically"]),
        comment_text=rng.choice(["谢谢社区和物业！", "处理得挺快。", ""]),
    )
    if goal == "closed":
        cases.perform(session, actor=staff, case=case, action="archive")
