"""The demo's 民情意见, and what happens to each of them when. Every case is a story: steps at
moments, run by the seed on one timeline with the threads' floors and the daily scheduled job
(回访 asked, 未评价, 归档, 超期 notices), so a thread, its echo floors, the case's timeline and the
inbox tell the same story in the same order.

A 民情反映 thread's own floors say how far its case got: staff taking it up ("ack") is when it is
accepted, staff reporting the fix ("done") when the unit resolves it, the poster's thanks or
complaint when they rate it. DOMAIN.md's five example cases follow forum.demo.story. The new ways
in are shown too: residents' own reports (我要反映, one of them private), a topic handed in by its
author (提交给社区), a unit's 退单 approved and a 延期申请 refused, 解决了吗 asked and answered,
a staff 回访, one left 未评价."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlmodel import Session

from forum.accounts.models import RoleName, User
from forum.boards import service as boards
from forum.boards.models import Topic
from forum.cases import followup, intake, meetings, pushback
from forum.cases import service as cases
from forum.cases.dates import due_after
from forum.cases.models import Case
from forum.cases.units import get_unit, route_of
from forum.cases.workflow import CaseAction
from forum.demo import story
from forum.demo.clock import Timeline
from forum.demo.content import STAFF, DemoTopic
from forum.demo.notices import parking_minutes
from forum.timeutil import SHANGHAI

# Who answers for each unit (migration 0002's units). The 居委会 answers for itself: its director.
UNIT_CONTACTS = [
    ("物业小刘", "物业公司"),
    ("驻区单位老陈", "驻区单位"),
    ("施工单位王工", "施工单位"),
    ("城管科小赵", "街道城管科"),
    ("社区民警老何", "社区派出所"),
    ("居委会王主任", "社区居委会"),
]
CONTACT_OF = {unit: name for name, unit in UNIT_CONTACTS}
PLACE = "社区服务站二楼会议室"


@dataclass
class Thread:
    """A demo topic as the seed writes it: when it starts, when each floor is posted, and (once
    written) the topic."""

    demo: DemoTopic
    start: datetime
    floors: list[datetime]
    topic: Topic | None = None

    def at(self, mark: str) -> datetime | None:
        """When the floor marked `mark` is posted."""
        return next((t for r, t in zip(self.demo.replies, self.floors, strict=True) if r.mark == mark), None)

    def author_of(self, mark: str) -> str:
        return next(r.author for r in self.demo.replies if r.mark == mark)


@dataclass
class World:
    session: Session
    users: dict[str, User]
    now: datetime
    rng: random.Random
    timeline: Timeline
    opened: list[Story] = field(default_factory=list)


class Story:
    """One case: opened at a moment, then steps, each at its moment and each after the one before.
    A step that would fall after `now` is left out, and so is everything after it: the story has
    not got that far yet."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.case: Case | None = None
        self.last: datetime | None = None
        self.opened_at: datetime | None = None
        self.stopped = False
        world.opened.append(self)

    def _when(self, when: datetime) -> datetime | None:
        if self.last is not None:
            when = max(when, self.last + timedelta(minutes=1))
        if self.stopped or when > self.world.now - timedelta(minutes=2):
            self.stopped = True
            return None
        self.last = when
        return when

    def open(self, when: datetime, who: str, make: Callable[[User], Case]) -> Story:
        moment = self.opened_at = self._when(when)
        if moment is not None:
            self.world.timeline.add(
                moment, lambda: self._opened(make(self.world.users[who]), moment), who=who
            )
        return self

    def _opened(self, case: Case, when: datetime) -> None:
        route = route_of(self.world.session, case.category_id)
        case.due_at = due_after(route.deadline_days if route else 7, when)
        self.case = case

    def then(self, when: datetime, who: str, step: Callable[[User, Case], object]) -> Story:
        moment = self._when(when)
        if moment is not None:
            self.world.timeline.add(moment, lambda: self._step(step, who), who=who)
        return self

    def aside(self, when: datetime, who: str, step: Callable[[User, Case], object]) -> None:
        """A step that needs the case open but is not part of its sequence (我也遇到)."""
        if self.opened_at is not None and self.world.now - timedelta(minutes=2) > when > self.opened_at:
            self.world.timeline.add(when, lambda: self._step(step, who), who=who)

    def _step(self, step: Callable[[User, Case], object], who: str) -> None:
        assert self.case is not None
        step(self.world.users[who], self.case)

    # The steps, as callables (actor, case) for then().

    def act(
        self, action: CaseAction | str, note: str = "", **fields: object
    ) -> Callable[[User, Case], object]:
        session = self.world.session
        return lambda user, case: cases.perform(
            session, actor=user, case=case, action=str(action), note=note, **fields
        )  # type: ignore[arg-type]

    def rate(self, rating: str, comment: str = "") -> Callable[[User, Case], object]:
        session = self.world.session
        return lambda user, case: followup.rate(
            session, actor=user, case=case, rating=rating, comment_text=comment
        )

    def decide(self, approve: bool, note: str) -> Callable[[User, Case], object]:
        session = self.world.session

        def run(user: User, case: Case) -> object:
            request = pushback.pending(session, case)
            assert request is not None
            return pushback.decide(
                session, actor=user, case=case, request_id=request.id, approve=approve, note=note
            )  # type: ignore[arg-type]

        return run


def plan(world: World, threads: list[Thread]) -> None:
    """Put every case's story on the timeline."""
    by_story = {th.demo.story: th for th in threads if th.demo.story}
    stories: dict[str, Story] = {}
    for key, write in (
        ("parking", _parking),
        ("bus", _bus),
        ("lift", _lift),
        ("noise", _noise),
        ("dogs", _dogs),
    ):
        if key in by_story:
            stories[key] = write(world, by_story[key])
    concerns = [th for th in threads if th.demo.board == "minqing" and not th.demo.story]
    unrated = _pick_unrated(world, concerns)
    for th in concerns:
        if th.at("ack") is not None:
            _concern(world, th, leave_unrated=th is unrated)
    _flagged(world, [th for th in concerns if th.at("ack") is None])
    _reports(world, stories)
    _offline(world)


def _supporters(
    world: World, s: Story, poster: str | None, since: datetime, until: datetime, most: int
) -> None:
    """我也遇到 from some neighbours while the case is open (from when everyone had joined)."""
    rng = world.rng
    since = max(since, world.now - timedelta(days=story.OPENED_DAYS_AGO - 21))
    if until <= since:
        return
    names = [n for n in world.users if n != poster and world.users[n].role in ("resident", "volunteer")]
    for name in rng.sample(names, rng.randint(0, most)):
        when = since + (until - since) * rng.random()
        s.aside(when, name, lambda user, case: cases.support(world.session, actor=user, case=case))


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


# --- 民情反映 threads --------------------------------------------------------------------------------

FOLLOW_UP_NOTES = (
    "电话回访楼主：问题已经解决，表示满意。",
    "网格员上门回访，现场已经处理好，楼主表示满意。",
    "电话回访楼主：处理结果基本满意，希望保持。",
)


def _pick_unrated(world: World, concerns: list[Thread]) -> Thread | None:
    """The one resolved concern whose poster never answered 解决了吗 (recorded as 未评价)."""
    for th in concerns:
        done = th.at("done")
        answered = th.at("thanks") or th.at("unhappy")
        if done and not answered and world.now - timedelta(days=60) < done < world.now - timedelta(days=12):
            return th
    return None


def _concern(world: World, th: Thread, *, leave_unrated: bool) -> None:
    """A concern staff took up in the thread: accepted then, handled by its unit, resolved when
    the thread says so (or some days on, for older threads), then rated, 回访 or left unanswered."""
    rng, d = world.rng, th.demo
    ack = th.at("ack")
    assert ack is not None
    staff, contact, poster = th.author_of("ack"), CONTACT_OF[d.unit], d.author
    done, thanks, unhappy = th.at("done"), th.at("thanks"), th.at("unhappy")
    s = Story(world)
    opened = max(ack - _minutes(rng, 20, 180), th.start + timedelta(minutes=10))
    s.open(opened, staff, _open_flagged(world, th, d.tags[0], d.unit))
    s.then(ack + timedelta(minutes=2), staff, s.act("accept", f"已受理，转{d.unit}办理。"))
    resolves = done is not None or th.start < world.now - timedelta(days=20)
    end = done - _minutes(rng, 15, 60) if done else ack + timedelta(days=rng.uniform(4, 12))
    if resolves:
        start, progress = ack + (end - ack) * 0.15, ack + (end - ack) * 0.45
    else:
        start = ack + timedelta(hours=rng.uniform(3, 30))
        progress = start + timedelta(days=rng.uniform(0.5, 3))
    s.then(start, contact, s.act("start"))
    s.then(progress, contact, s.act("comment", d.progress))
    _supporters(world, s, poster, opened, end if resolves else world.now, 6)
    if not resolves:
        return
    s.then(end, contact, s.act("resolve", d.fix))
    if thanks:
        s.then(
            thanks + timedelta(minutes=3), poster, s.rate(rng.choice(["satisfied", "satisfied", "basically"]))
        )
    elif unhappy:
        s.then(
            unhappy + timedelta(minutes=3),
            poster,
            s.rate("unsatisfied", "说是处理了，可问题还在，没有根本解决。"),
        )
        again = unhappy + timedelta(days=rng.uniform(2, 5))
        s.then(again, contact, s.act("resolve", f"已返工处理：{d.fix}。"))
        s.then(
            again + timedelta(days=1), staff, s.act("close", "第二次办结后网格员现场复查，已处理到位，归档。")
        )
    elif not leave_unrated:
        # Some posters answer the 解决了吗 themselves; for the rest, staff call.
        if rng.random() < 0.5:
            s.then(
                end + timedelta(days=rng.uniform(3.3, 8)),
                staff,
                s.act("follow_up", rng.choice(FOLLOW_UP_NOTES)),
            )
        else:
            s.then(
                end + timedelta(days=rng.uniform(3.3, 8)),
                poster,
                s.rate(rng.choice(["satisfied", "basically"])),
            )


def _open_flagged(world: World, th: Thread, category: str, unit: str | None = None) -> Callable[[User], Case]:
    def run(user: User) -> Case:
        assert th.topic is not None
        post = boards.first_post(world.session, th.topic)
        return intake.open_case(world.session, actor=user, post=post, category=category, unit=unit)

    return run


def _flagged(world: World, quiet: list[Thread]) -> None:
    """Concerns no staff floor answered: the recent ones flagged by a 民情信息员, one handed in by its
    own author (提交给社区)."""
    rng, now = world.rng, world.now
    volunteers = sorted(name for name, user in world.users.items() if user.role == RoleName.VOLUNTEER)
    submitted = next(
        (th for th in quiet if now - timedelta(days=30) < th.start < now - timedelta(days=6)), None
    )
    if submitted is not None:
        d = submitted.demo
        s = Story(world)
        when = submitted.start + timedelta(hours=rng.uniform(1, 3))

        def hand_in(user: User) -> Case:
            assert submitted.topic is not None
            return intake.submit_topic(world.session, actor=user, topic=submitted.topic, category=d.tags[0])

        s.open(when, d.author, hand_in)
        accept = when + timedelta(hours=rng.uniform(14, 20))
        s.then(accept, "社工小李", s.act("accept", f"已受理，转{d.unit}办理。"))
        if d.unit != _default_unit(world, d.tags[0]):
            s.then(accept + timedelta(minutes=3), "社工小李", _assign(world, d.unit, f"这件事由{d.unit}负责"))
        s.then(accept + timedelta(days=1), CONTACT_OF[d.unit], s.act("start"))
        s.then(accept + timedelta(days=2), CONTACT_OF[d.unit], s.act("comment", d.progress))
        _supporters(world, s, d.author, when, now, 4)
    for th in quiet:
        if th is submitted or th.start < now - timedelta(days=8):
            continue
        d = th.demo
        volunteer = rng.choice([v for v in volunteers if v != d.author])
        s = Story(world)
        flagged = th.start + timedelta(hours=rng.uniform(1, 6))
        s.open(flagged, volunteer, _open_flagged(world, th, d.tags[0], d.unit))
        s.then(
            flagged + timedelta(hours=rng.uniform(16, 26)),
            rng.choice(STAFF),
            s.act("accept", f"已受理，转{d.unit}办理。"),
        )
        s.then(flagged + timedelta(days=rng.uniform(1.5, 3)), CONTACT_OF[d.unit], s.act("start"))
        _supporters(world, s, d.author, flagged, now, 4)


def _default_unit(world: World, category: str) -> str | None:
    found = intake.find_category(world.session, category)
    route = route_of(world.session, found.id if found else None)
    return get_unit(world.session, route.unit_id).name if route and route.unit_id else None


def _assign(world: World, unit: str, note: str) -> Callable[[User, Case], object]:
    return lambda user, case: cases.assign(world.session, actor=user, case=case, unit=unit, note=note)


# --- DOMAIN.md's example cases -----------------------------------------------------------------------


def _example(world: World, th: Thread, staff: str, category: str, accepted: str) -> Story:
    ack = th.at("ack")
    assert ack is not None
    s = Story(world)
    s.open(ack - timedelta(minutes=30), staff, _open_flagged(world, th, category))
    s.then(ack + timedelta(minutes=2), staff, s.act("accept", accepted))
    return s


def _meeting(
    world: World, title: str, starts: datetime, attendees: str, minutes: str, decisions: str
) -> Callable[[User, Case], object]:
    return lambda user, case: meetings.record_meeting(
        world.session,
        actor=user,
        kind="coordination",
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=100),
        place=PLACE,
        attendees=attendees,
        minutes=minutes,
        decisions=decisions,
        case_ids=[case.id],  # type: ignore[list-item]
    )


def _parking(world: World, th: Thread) -> Story:
    """7/8号楼院内乱停车: two 协调会, the fire lane cleared, a plan under consultation (in progress)."""
    p = story.parking(world.now)
    ack = th.at("ack")
    assert ack is not None
    s = _example(
        world, th, "社工小李", "tingche", "已受理，转物业公司；社区牵头，和物业一起研究院内停车规划。"
    )
    s.then(ack + timedelta(days=1), "物业小刘", s.act("start"))
    s.then(
        ack + timedelta(days=3),
        "物业小刘",
        s.act(
            "comment", "物业已统计两楼登记车辆和夜间停放情况，外来车辆较多，建议社区召集车主和住户一起商量。"
        ),
    )
    s.then(
        p.meeting1 + timedelta(hours=2),
        "社工小李",
        _meeting(
            world,
            "7、8号楼停车问题第一次协调会",
            p.meeting1,
            "反映人七号楼老张、八号楼李阿姨，车主代表老陈开车，居民代表4人，物业公司项目经理，社区工作人员2人",
            "居民介绍了院内乱停车、消防通道被占的情况；车主代表说明了夜间找不到车位的难处；物业通报了两楼登记车辆的情况。",
            "外来车辆一周内清出院子；消防通道两侧重新施划禁停线；物业摸清两楼车辆和住户需求，拿出停车区域规划；社区与驻区单位商谈夜间错时停车。",
        ),
    )
    s.then(
        p.meeting1 + timedelta(hours=16),
        "社工小李",
        s.act(
            "set_deadline",
            "停车区域规划要再开一次协调会，并征求两栋楼居民的意见，办理期限相应延长。",
            due_date=(p.closes + timedelta(days=10)).astimezone(SHANGHAI).date().isoformat(),
        ),
    )
    s.then(
        p.lines,
        "物业小刘",
        s.act("comment", "外来车辆已清出院子，消防通道两侧禁停黄线已重新施划，保安晚上巡查。"),
    )
    s.then(
        p.meeting2 + timedelta(hours=2),
        "社工小李",
        _meeting(
            world,
            "7、8号楼停车问题第二次协调会",
            p.meeting2,
            "反映人七号楼老张、八号楼李阿姨，居民代表5人，物业公司项目经理，社区工作人员3人",
            parking_minutes(world.now),
            "物业公司一周内拿出划线方案，在居务公开征求意见；主路两侧全程禁停，物业安排夜间巡查；路灯和划线费用由社区公益金列支。",
        ),
    )
    s.then(
        p.plan + timedelta(minutes=15),
        "社工小李",
        s.act(
            "comment",
            f"停车区域划分方案已在【居务公开】发布，网上征求意见同时开始，截止{story.md(p.closes)}，请7、8号楼住户参与。",
        ),
    )
    _supporters(world, s, th.demo.author, th.start, world.now, 9)
    return s


def _bus(world: World, th: Thread) -> Story:
    """48路站台太高: the 驻区建设单位 builds ramps; the poster tries them and is satisfied."""
    b = story.bus(world.now)
    ack = th.at("ack")
    assert ack is not None
    s = _example(world, th, "服务站张姐", "yule", "已受理，转驻区单位（站台的建设单位）。")
    s.then(ack + timedelta(days=1), "驻区单位老陈", s.act("start"))
    s.then(
        b.progress - timedelta(minutes=40),
        "驻区单位老陈",
        s.act("comment", "已到现场量过尺寸，准备在站台两头修缓坡道，施工期间站台照常使用。"),
    )
    s.then(
        b.done - timedelta(minutes=40),
        "驻区单位老陈",
        s.act("resolve", "站台两端缓坡道已修建完工，坡度按无障碍标准。"),
    )
    s.then(b.tried + timedelta(minutes=3), "琳琳妈咪", s.rate("satisfied", "推着孩子试了，一推就上去了。"))
    _supporters(world, s, th.demo.author, th.start, b.done, 8)
    return s


def _lift(world: World, th: Thread) -> Story:
    """楼门电梯分时段运行: from the day after 居委会王主任's floor, 24 hours."""
    lift = story.lift(world.now)
    ack = th.at("ack")
    assert ack is not None
    s = _example(world, th, "社工小李", "wuye", "已受理，转物业公司。")
    s.then(ack + timedelta(days=1), "物业小刘", s.act("start"))
    s.then(
        ack + timedelta(days=6),
        "物业小刘",
        s.act("comment", "正在核算电梯24小时运行需要增加的夜班人员和费用，核算完和社区商定。"),
    )
    s.then(
        lift.running, "物业小刘", s.act("resolve", "全部楼门电梯即日起改为24小时运行，夜间安排值班人员巡视。")
    )
    s.then(lift.thanks + timedelta(minutes=3), "十号楼Tony", s.rate("satisfied", "半夜回来电梯开着，谢谢。"))
    _supporters(world, s, th.demo.author, th.start, lift.running, 9)
    return s


def _noise(world: World, th: Thread) -> Story:
    """南边工地施工扰民: a 协调会 with the 施工单位, compensation paid after 7 days on show, a 回访."""
    n = story.noise(world.now)
    ack = th.at("ack")
    assert ack is not None
    s = _example(
        world, th, "居委会王主任", "shigong", "已受理，转施工单位；社区召集群众代表和施工单位开协调会。"
    )
    s.then(ack + timedelta(days=1), "施工单位王工", s.act("start"))
    s.then(
        ack + timedelta(days=2),
        "施工单位王工",
        s.act("comment", "已收到，正在核实夜间施工的情况，项目经理会参加协调会。"),
    )
    s.then(
        n.meeting + timedelta(hours=2),
        "居委会王主任",
        _meeting(
            world,
            "南边工地施工扰民协调会",
            n.meeting,
            "9至12号楼居民代表8人，施工单位项目经理，社区“两委一站”工作人员3人",
            "居民代表反映夜间打桩、渣土车扬尘和扰民补偿的问题；施工单位说明了工期和夜间作业安排。",
            "施工单位按楼栋与工地的距离分档发放扰民补偿，名单公示7天后发放；晚上10点以后停止高噪声作业；渣土车出门前冲洗轮胎、苫盖严实。",
        ),
    )
    s.then(
        n.report + timedelta(days=1),
        "施工单位王工",
        s.act(
            "comment",
            "已按协调会约定，晚上10点以后停止高噪声作业，渣土车出场前冲洗、苫盖；补偿名单已报社区公示。",
        ),
    )
    s.then(n.paid, "施工单位王工", s.act("resolve", "扰民补偿已按公示标准发放完毕，夜间不再进行高噪声作业。"))
    s.then(
        n.called,
        "居委会王主任",
        s.act("follow_up", "电话回访反映人：夜里已经没有施工噪声，补偿已领取，表示满意。"),
    )
    _supporters(world, s, th.demo.author, th.start, n.paid, 9)
    return s


def _dogs(world: World, th: Thread) -> Story:
    """不文明养狗: resolved by founding the 文明养犬协会."""
    dogs = story.dogs(world.now)
    ack = th.at("ack")
    assert ack is not None
    s = _example(world, th, "社工小李", "yanggou", "已受理，社区支持成立文明养犬协会，可以提供活动场地。")
    s.then(ack + timedelta(days=1), "居委会王主任", s.act("start"))
    s.then(
        dogs.announce + timedelta(minutes=15),
        "居委会王主任",
        s.act(
            "comment",
            f"协会筹备组已经成立，首批会员32户，成立仪式定在{story.md_weekday(dogs.founding)}上午。",
        ),
    )
    s.then(
        dogs.founding + timedelta(hours=3),
        "居委会王主任",
        s.act("resolve", "嘉园一里社区文明养犬协会今天成立，首批会员32户，公约草案将在居务公开征求意见。"),
    )
    s.then(dogs.thanks + timedelta(minutes=3), "豆豆妈", s.rate("satisfied", "谢谢社区支持！"))
    _supporters(world, s, th.demo.author, th.start, dogs.founding, 7)
    return s


# --- residents' own reports (我要反映) and duplicates ------------------------------------------------


def _report(
    world: World,
    who: str,
    when: datetime,
    category: str,
    description: str,
    *,
    title: str = "",
    private: bool = False,
    location: str = "",
) -> Story:
    s = Story(world)

    def run(user: User) -> Case:
        return intake.report_concern(
            world.session,
            actor=user,
            description=description,
            category=category,
            title=title or None,
            location=location,
            is_private=private,
            contact="" if not private else "电话联系",
        )

    return s.open(when, who, run)


def _reports(world: World, stories: dict[str, Story]) -> None:
    now, rng = world.now, world.rng
    day = lambda days, hour, minute=0: story.at(story.local_day(now, days), hour, minute)  # noqa: E731

    # A road repair sent to the wrong unit: the 城管科 returns it (退单), staff agree and give it to the 物业.
    t = day(18, 7, 40)
    s = _report(
        world,
        "骑车上班族",
        t,
        "huanjing",
        "小区西门进来往左那段路面塌了一个坑，半米多宽，下雨就积水。早上骑车差点栽进去，晚上看不清更危险。",
        title="西门内路面塌了一个坑，下雨积水",
        location="西门内",
    )
    s.then(t + timedelta(hours=5), "社工小李", s.act("accept", "已受理，转街道城管科。"))
    s.then(
        t + timedelta(hours=22),
        "城管科小赵",
        s.act(
            CaseAction.REQUEST_RETURN,
            "西门内这段路属于小区内部道路，由物业公司负责维修养护，不在城管科职责范围内，申请退回重新分派。",
        ),
    )
    s.then(
        t + timedelta(days=1, hours=3), "社工小李", s.decide(True, "同意退回：小区内部道路由物业公司负责。")
    )
    s.then(
        t + timedelta(days=1, hours=3, minutes=2),
        "社工小李",
        _assign(world, "物业公司", "小区内部道路由物业维修"),
    )
    s.then(t + timedelta(days=1, hours=8), "物业小刘", s.act("start"))
    s.then(
        t + timedelta(days=1, hours=9),
        "物业小刘",
        s.act("comment", "已在坑边设置围挡和警示牌，沥青冷补料已采购，天晴后施工。"),
    )
    s.then(
        t + timedelta(days=4, hours=2),
        "物业小刘",
        s.act("resolve", "西门内塌陷的路面已用沥青冷补料修补平整，积水已清除。"),
    )
    s.then(
        t + timedelta(days=8, hours=3), "骑车上班族", s.rate("basically", "补得还行，就是颜色跟旁边不一样。")
    )
    _supporters(world, s, "骑车上班族", t, t + timedelta(days=4), 5)

    # Just reported, waiting for staff to look at it.
    t = day(1, 8, 15) if day(1, 8, 15) < now - timedelta(hours=2) else now - timedelta(hours=20)
    s = _report(
        world,
        "花花草草",
        t,
        "huanjing",
        "东门外人行道上的共享单车越堆越多，把盲道全占了，推婴儿车和坐轮椅的都过不去。",
        title="东门外共享单车堆满人行道，盲道被占",
        location="东门外人行道",
    )
    _supporters(world, s, "花花草草", t, now, 3)

    # A unit asks for more time and staff say no.
    t = day(6, 16, 20)
    s = _report(
        world,
        "琳琳妈咪",
        t,
        "yule",
        "中心花园的滑梯左边扶手断了，断口很尖，孩子们还在上面玩，太危险了。",
        title="中心花园滑梯扶手断了，孩子玩很危险",
        location="中心花园",
    )
    s.then(
        t + timedelta(hours=3), "服务站张姐", s.act("accept", "已受理，转驻区单位（滑梯是驻区单位捐建的）。")
    )
    s.then(t + timedelta(days=1), "驻区单位老陈", s.act("start"))
    s.then(
        t + timedelta(days=1, hours=1),
        "驻区单位老陈",
        s.act("comment", "已派人查看，滑梯已用警示带围起来暂停使用，扶手配件已向厂家订购。"),
    )
    s.then(
        t + timedelta(days=3),
        "驻区单位老陈",
        lambda user, case: pushback.ask(
            world.session,
            actor=user,
            case=case,
            action=CaseAction.REQUEST_EXTENSION,
            reason="扶手配件要从厂家定做，到货需要两周左右，申请延期。",
            due_date=(case.due_at + timedelta(days=14)).astimezone(SHANGHAI).date(),  # type: ignore[operator]
        ),
    )
    s.then(
        t + timedelta(days=3, hours=4),
        "服务站张姐",
        s.decide(
            False, "滑梯是孩子们天天玩的设施，不同意延期：请先用通用配件临时修好，定做的扶手到货后再换。"
        ),
    )
    _supporters(world, s, "琳琳妈咪", t, now, 6)

    # A private report (仅工作人员可见): no thread; handled the same day, rated the next.
    t = day(5, 8, 30)
    s = _report(
        world,
        "退休老周",
        t,
        "fuli",
        "隔壁独居的老人这几天都没见出门，敲门也没人应，有点担心。不想在网上公开说，麻烦社区去看看。",
        title="隔壁独居老人几天没出门",
        private=True,
    )
    s.then(t + timedelta(minutes=40), "社工小李", s.act("accept", "已受理，社工和网格员马上上门看看。"))
    s.then(t + timedelta(hours=1), "居委会王主任", s.act("start"))
    s.then(
        t + timedelta(hours=6),
        "居委会王主任",
        s.act(
            "resolve", "社工和网格员已上门探望，老人感冒在家休息，已帮忙买了药，并纳入志愿者定期探访名单。"
        ),
    )
    s.then(t + timedelta(days=1, hours=2), "退休老周", s.rate("satisfied", "谢谢社区这么快就上门。"))

    # Not something the community can take on.
    t = day(30, 21, 5)
    s = _report(
        world,
        "kevin_jy",
        t,
        "wuye",
        "去年买的二手房，卫生间一直往楼下渗水，原房主说卖了就不管了，物业也不给修，怎么办？",
        title="二手房卫生间渗水，原房主不管",
    )
    s.then(
        t + timedelta(hours=13),
        "社工小李",
        s.act(
            "reject",
            "经核实，这是房屋买卖双方之间的民事纠纷，不属于物业维修或社区办理的范围。建议先与原房主协商，"
            "协商不成可以申请人民调解或通过诉讼解决；社区每周三下午有律师值班，可以来咨询。",
        ),
    )

    # The same concerns again: merged into the cases already being handled.
    parking, noise = stories.get("parking"), stories.get("noise")
    if parking is not None:
        t = story.parking(now).call - timedelta(days=20) + timedelta(hours=rng.uniform(0, 3))
        s = _report(
            world,
            "上班族小赵",
            t,
            "tingche",
            "7号楼和8号楼中间晚上停满了车，消防通道都堵死了，真着火了消防车根本进不来。",
            title="7、8号楼之间晚上停满车，消防通道堵死了",
        )
        s.then(t + timedelta(hours=12), "社工小李", _merge(world, parking))
    if noise is not None:
        t = story.noise(now).meeting - timedelta(days=12)
        s = Story(world).open(
            t,
            "服务站张姐",
            lambda user: intake.open_case(
                world.session,
                actor=user,
                source="phone",
                title="南边工地凌晨还在打桩",
                description="11号楼住户来电：南边工地这两天凌晨一两点还在打桩，全家都睡不着。",
                category="shigong",
                building="11",
            ),
        )
        s.then(t + timedelta(hours=2), "服务站张姐", _merge(world, noise))


def _merge(world: World, into: Story) -> Callable[[User, Case], object]:
    def run(user: User, case: Case) -> object:
        assert into.case is not None
        return cases.merge(
            world.session,
            actor=user,
            case=case,
            into=into.case,
            note=f"与 #{into.case.id} 反映的是同一件事，合并办理，进展请看原来的民情意见。",
        )

    return run


# --- heard offline --------------------------------------------------------------------------------


class Offline(NamedTuple):
    """A concern heard offline, and how far it got ("accepted", "in_progress", "resolved",
    "followed_up")."""

    source: str
    staff: str
    title: str
    description: str
    category: str
    unit: str
    building: str
    days_ago: int
    progress: str = ""
    fix: str = ""
    reach: str = "accepted"
    resident: str = ""  # a registered resident who came in person: they follow it


_OFFLINE = [
    Offline(
        "visit", "网格员小周", "3号楼2单元楼道堆放纸箱杂物",
        "走访时发现3号楼2单元一至三层楼道堆满纸箱和旧家具，影响消防通道。", "xiaofang", "物业公司", "3", 34,
        "物业已通知3号楼2单元住户三天内自行清理纸箱和旧家具。",
        "物业已清理3号楼2单元楼道的纸箱杂物，并在单元门口张贴了消防提示。", "followed_up",
    ),
    Offline(
        "phone", "服务站张姐", "11号楼顶层漏雨",
        "王大爷来电：连续下雨后11号楼6层客厅天花板渗水，家里有老人，希望尽快修。",
        "wuye", "物业公司", "11", 12,
        "物业已上屋面查看，防水层有两处破损，材料已备齐，天晴后修补。",
        "11号楼屋面破损的防水层已修补，雨后复查不再渗水。", "followed_up",
    ),
    Offline(
        "contact_card", "社工小李", "小区东门路灯不亮",
        "民情联系卡反映：东门到5号楼的三盏路灯坏了半个月，晚上很黑。", "huanjing", "物业公司", "5", 10,
        "物业已报修，三盏路灯的灯头需要更换，已订购。",
        "东门到5号楼的三盏路灯已更换LED灯头，恢复照明。", "followed_up",
    ),
    Offline(
        "walk_in", "服务站张姐", "希望服务站备几台轮椅借给居民用",
        "几位老人来居委会反映，家里老人看病、出门时常临时要用轮椅，希望服务站备几台，登记借用。",
        "fuli", "社区居委会", "", 9,
        "居委会已联系驻区单位捐赠两台轮椅，借用登记办法正在制定。",
        reach="in_progress", resident="晨练刘奶奶",
    ),
    Offline(
        "log", "网格员小周", "9号楼前垃圾桶满溢",
        "民情日志：9号楼前垃圾桶每天傍晚就满了，气味很大。", "huanjing", "街道城管科", "9", 7,
        "已协调环卫所，9号楼前垃圾桶改为每天傍晚加运一次。",
        "环卫所已调整清运时间，9号楼前每天傍晚加运一次，并增加了两个垃圾桶。", "resolved",
    ),
    Offline(
        "visit", "网格员小周", "6号楼独居老人需要定期探访",
        "走访发现6号楼独居的李奶奶行动不便，希望志愿者定期上门。", "fuli", "社区居委会", "6", 2,
    ),
]  # fmt: skip


def _offline(world: World) -> None:
    """Concerns heard offline (走访, 电话, 来访, 民情联系卡, 民情日志), at various stages."""
    now, rng = world.now, world.rng
    for o in _OFFLINE:
        t = story.at(story.local_day(now, o.days_ago), rng.choice((9, 10, 14, 15)), rng.choice((0, 20, 40)))

        def run(user: User, o: Offline = o) -> Case:
            return intake.open_case(
                world.session,
                actor=user,
                source=o.source,
                title=o.title,
                description=o.description,
                category=o.category,
                unit=o.unit,
                building=o.building,
                resident=o.resident or None,
            )

        s = Story(world).open(t, o.staff, run)
        s.then(t + timedelta(hours=2), o.staff, s.act("accept", f"已受理，转{o.unit}办理。"))
        if o.reach == "accepted":
            continue
        contact = CONTACT_OF[o.unit]
        s.then(t + timedelta(hours=20), contact, s.act("start"))
        s.then(t + timedelta(days=1, hours=2), contact, s.act("comment", o.progress))
        if o.reach == "in_progress":
            continue
        resolved = t + timedelta(days=min(o.days_ago * 0.5, 6))
        s.then(resolved, contact, s.act("resolve", o.fix))
        if o.reach == "followed_up":
            called = resolved + timedelta(days=min(o.days_ago * 0.3, 4))
            s.then(called, o.staff, s.act("follow_up", "电话回访反映人：已经处理好了，表示满意。"))
