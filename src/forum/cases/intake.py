"""How a concern becomes a case: a resident reports it (我要反映) or hands in their own topic
(提交给社区); staff or a 民情信息员 flag a post; or staff record one heard offline (走访, 电话,
来访, 民情联系卡, 民情日志)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from forum.accounts.models import Household, HouseholdStatus, User
from forum.boards import service as boards
from forum.boards.models import Board, Category, Post, Topic, TopicTag
from forum.boards.service import Upload, clean_text, clean_title
from forum.cases import events, photos
from forum.cases.dates import due_after
from forum.cases.models import Case, CasePost, PhotoKind, Priority, Source, Status, Unit
from forum.cases.units import find_unit, route_of
from forum.errors import Conflict, Invalid, NotPermitted
from forum.guards import ratelimit
from forum.guards import service as guards
from forum.media.images import ImageStore
from forum.notifications.models import NotificationKind
from forum.policy import Action, can, require
from forum.timeutil import utcnow

OPENED_FROM = {
    Source.FORUM: "由论坛帖子转为民情意见",
    Source.REPORT: "居民通过“我要反映”提交",
    Source.VISIT: "走访中收集",
    Source.PHONE: "电话反映",
    Source.WALK_IN: "来访反映",
    Source.CONTACT_CARD: "民情联系卡反映",
    Source.LOG: "民情日志记录",
}
# The board where a resident's public report is also posted for neighbours to see and discuss.
REPORT_BOARD_SLUG = "minqing"
CONTACT_MAX = 60
DESCRIPTION_MAX = 5000  # case_file.description
PHOTOS_MAX = 9


def find_category(session: Session, ref: str | None) -> Category | None:
    if not ref:
        return None
    found = session.exec(select(Category).where((Category.slug == ref) | (Category.name == ref))).first()
    if found is None:
        raise Invalid("未知的问题分类", field="category")
    return found


def topic_categories(session: Session, topic_id: int) -> list[Category]:
    return list(
        session.exec(
            select(Category)
            .join(TopicTag, col(TopicTag.category_id) == Category.id)
            .where(TopicTag.topic_id == topic_id)
            .order_by(col(Category.position))
        ).all()
    )


def _route_category(session: Session, ref: str | None, topic: Topic | None) -> Category | None:
    """The category that routes the case: the one chosen, or the topic's only tag. With several
    tags, whoever opens the case chooses: the first tag is not necessarily the right unit's."""
    found = find_category(session, ref)
    if found is not None or topic is None:
        return found
    tags = topic_categories(session, topic.id)  # type: ignore[arg-type]
    if len(tags) > 1:
        names = "、".join(c.name for c in tags)
        raise Invalid(f"这个帖子有多个分类（{names}），请选择按哪个分类分派", field="category")
    return tags[0] if tags else None


def _building(value: str | None, field: str = "building") -> str:
    value = clean_text(value or "")
    if len(value) > 10:
        raise Invalid(f"{'楼号' if field == 'building' else '单元'}不能超过 10 个字", field=field)
    return value


def _create(
    session: Session,
    *,
    opener: User,
    source: Source,
    title: str,
    description: str,
    category: Category | None,
    unit: Unit | None,
    poster_id: int | None,
    route_now: bool = True,
    **fields: object,
) -> Case:
    """The case row and its first event; the poster follows it and the unit (if routed) hears."""
    now = utcnow()
    route = route_of(session, category.id if category else None)
    if unit is None and route_now and route is not None and route.unit_id is not None:
        unit = session.get(Unit, route.unit_id)
    case = Case(
        title=title,
        description=description,
        category_id=category.id if category else None,
        unit_id=unit.id if unit else None,
        source=source,
        poster_id=poster_id,
        opened_by_id=opener.id,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
        due_at=due_after(route.deadline_days if route else 7, now),
        **fields,  # type: ignore[arg-type]
    )
    session.add(case)
    session.flush()
    events.record(session, case, opener, "opened", to_status=Status.SUBMITTED, detail=OPENED_FROM[source])
    if case.poster_id is not None:
        events.add_follower(session, case, case.poster_id)
        if case.poster_id != opener.id:
            events.notify(
                session, case.poster_id, NotificationKind.CASE_UPDATE, opener, case, "已立案，社区会跟进办理"
            )
    if unit is not None:
        events.notify_unit(session, case, opener, unit.id)  # type: ignore[arg-type]
    return case


def open_case(
    session: Session,
    *,
    actor: User | None,
    post: Post | None = None,
    title: str | None = None,
    description: str | None = None,
    source: Source | str | None = None,
    category: str | None = None,
    unit: str | int | None = None,
    building: str | None = None,
    entrance: str | None = None,
    location: str | None = None,
    priority: Priority | str = Priority.NORMAL,
    is_private: bool = False,
    resident: str | None = None,
    contact: str | None = None,
) -> Case:
    """Staff or a 民情信息员 open a case: from a flagged post (category and unit from its topic's
    tags), or from a concern heard offline (走访, 电话, 来访, 民情联系卡, 民情日志)."""
    user = require(actor, Action.OPEN_CASE)
    topic = None
    if post is not None:
        topic = _check_post_free(session, post)
        source = Source.FORUM
        title = title or topic.title
        description = description if description is not None else post.body
    else:
        try:
            source = Source(source) if source else None
        except ValueError:
            raise Invalid("未知的来源", field="source") from None
        if source is None or source in (Source.FORUM, Source.REPORT):
            raise Invalid("请选择线下来源：走访、电话、来访、民情联系卡或民情日志", field="source")
    title = clean_title(title or "")
    if post is not None:
        # The post itself stays linked; the case keeps as much of its text as a case holds.
        description = clean_text(description or "")[:DESCRIPTION_MAX]
    else:
        description = _description(description)
    found = _route_category(session, category, topic)
    chosen = find_unit(session, unit) if unit not in (None, "") else None
    try:
        priority = Priority(priority)
    except ValueError:
        raise Invalid("未知的优先级", field="priority") from None
    poster_id = post.author_id if post is not None else None
    household_id = None
    if post is None and resident and resident.strip():
        # A concern heard offline from a registered resident: they follow it and may rate it.
        person = session.exec(select(User).where(User.username_key == resident.strip().lower())).first()
        if person is None:
            raise Invalid("找不到这个居民的账号", field="resident")
        poster_id = person.id
        household = session.exec(select(Household).where(Household.user_id == person.id)).first()
        if household is not None:
            household_id = household.id
            building = building or household.building
            entrance = entrance or household.unit
    case = _create(
        session,
        opener=user,
        source=source,
        title=title,
        description=description,
        category=found,
        unit=chosen,
        poster_id=poster_id,
        household_id=household_id,
        topic_id=topic.id if topic else None,
        building=_building(building),
        entrance=_building(entrance, "entrance"),
        location=clean_text(location or "")[:100],
        priority=priority,
        is_private=is_private,
        contact=_contact(contact),
    )
    if post is not None:
        session.add(CasePost(case_id=case.id, post_id=post.id, topic_id=post.topic_id))  # type: ignore[arg-type]
    session.flush()
    return case


def _check_post_free(session: Session, post: Post) -> Topic:
    if not post.is_visible:
        raise Conflict("该楼层已被删除或隐藏")
    if post.held_at is not None:
        raise Conflict("该内容正在审核中，审核通过后才能提交")
    existing = session.exec(select(CasePost.case_id).where(CasePost.post_id == post.id)).first()
    if existing is not None:
        raise Conflict(f"该帖子已在民情意见 #{existing} 中")
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    return topic


def _contact(text: str | None) -> str:
    text = clean_text(text or "")
    if len(text) > CONTACT_MAX:
        raise Invalid(f"联系方式不能超过 {CONTACT_MAX} 个字", field="contact")
    return text


def _description(text: str | None) -> str:
    text = clean_text(text or "")
    if not text:
        raise Invalid("请写下发生了什么", field="description")
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(f"情况描述不能超过 {DESCRIPTION_MAX} 个字", field="description")
    return text


def title_from(description: str) -> str:
    """A short title from what the resident wrote: its first sentence, cut at 30 characters."""
    first = re.split(r"[。！？!?\n；;]", description.strip(), maxsplit=1)[0].strip()
    first = first.lstrip("-*> ").strip() or description.strip()
    return first[:30] + ("…" if len(first) > 30 else "")


def household_prefill(session: Session, user: User | None) -> dict[str, str]:
    """Building and 单元 from the resident's verified household, for the report form."""
    if user is None:
        return {}
    household = session.exec(
        select(Household).where(Household.user_id == user.id, Household.status == HouseholdStatus.APPROVED)
    ).first()
    return {"building": household.building, "entrance": household.unit} if household else {}


def report_concern(
    session: Session,
    *,
    actor: User | None,
    description: str = "",
    category: str | None = None,
    title: str | None = None,
    building: str | None = None,
    entrance: str | None = None,
    location: str | None = None,
    is_private: bool = False,
    contact: str | None = None,
    uploads: Sequence[Upload] = (),
    store: ImageStore | None = None,
) -> Case:
    """我要反映: a resident files a concern themselves. It lands as 新提交 for staff triage (no unit
    hears of it before staff accept it). A public report is also posted on the 民情反映 board, so
    neighbours can see it, press 我也遇到 and follow its progress in the thread; a private one
    (仅工作人员可见) is seen by staff only."""
    user = require(actor, Action.REPORT_CONCERN)
    description = _description(description)
    title = clean_title(title) if title and title.strip() else title_from(description)
    found = find_category(session, category)
    if found is None:
        raise Invalid("请选择问题分类", field="category")
    contact = _contact(contact)
    household = session.exec(
        select(Household).where(Household.user_id == user.id, Household.status == HouseholdStatus.APPROVED)
    ).first()
    fields: dict[str, object] = {
        "building": _building(building),
        "entrance": _building(entrance, "entrance"),
        "location": clean_text(location or "")[:100],
        "contact": contact,
        "household_id": household.id if household else None,
    }
    board = None if is_private else boards_for_reports(session)
    if board is not None:
        # The topic carries the photos and goes through every guard a topic does.
        topic = boards.create_topic(
            session,
            actor=user,
            board=board,
            title=title,
            body=description,
            tags=[found.slug],
            uploads=uploads,
            store=store,
            max_images=PHOTOS_MAX,
        )
        # Waiting for review (held by the word guards): staff only until they decide.
        case = _own_case(
            session,
            user,
            found,
            boards.first_post(session, topic),
            is_private=topic.held_at is not None,
            **fields,
        )
    else:
        verdict = guards.check_post(
            session, actor=user, action="topic", texts={"title": title, "description": description}
        )
        texts = {"title": verdict.texts["title"], "description": verdict.texts["description"]}
        case = _own_case(session, user, found, None, is_private=True, **texts, **fields)
        photos.attach(
            session, actor=user, case=case, event=None, uploads=uploads, store=store, kind=PhotoKind.REPORT
        )
    session.flush()
    return case


def boards_for_reports(session: Session) -> Board | None:
    return session.exec(select(Board).where(Board.slug == REPORT_BOARD_SLUG)).first()


def submit_topic(session: Session, *, actor: User | None, topic: Topic, category: str | None = None) -> Case:
    """提交给社区: the author of a topic hands it to the community as a concern."""
    user = require(actor, Action.REPORT_CONCERN)
    if topic.author_id != user.id:
        raise NotPermitted("只能提交自己发的帖子")
    post = boards.first_post(session, topic)
    _check_post_free(session, post)
    found = _route_category(session, category, topic)
    ratelimit.hit(session, action="topic", user=user)
    case = _own_case(session, user, found, post)
    session.flush()
    return case


def _own_case(
    session: Session, user: User, category: Category | None, post: Post | None, **fields: Any
) -> Case:
    """A resident's own concern: they are its reporter; no unit hears of it before staff triage.
    From a post, the case takes its topic's title and the post's text and gathers the post."""
    if post is not None:
        topic = session.get(Topic, post.topic_id)
        assert topic is not None
        fields = {
            "title": topic.title,
            "description": post.body[:DESCRIPTION_MAX],
            "topic_id": topic.id,
            **fields,
        }
    case = _create(
        session,
        opener=user,
        source=Source.REPORT,
        category=category,
        unit=None,
        poster_id=user.id,
        route_now=False,
        **fields,
    )
    if post is not None:
        session.add(CasePost(case_id=case.id, post_id=post.id, topic_id=post.topic_id))  # type: ignore[arg-type]
    return case


def open_any(
    session: Session,
    *,
    actor: User | None,
    topic: Topic | None = None,
    post: Post | None = None,
    source: Source | str | None = None,
    **fields: Any,
) -> Case:
    """The API's one door: a post or topic flagged by staff or a 民情信息员; a resident's own topic
    handed in (提交给社区); a concern heard offline (`source`); otherwise the caller's own report.
    A field the chosen way does not use is an error, not silently dropped."""
    if post is not None or topic is not None:
        flagged = post if post is not None else boards.first_post(session, topic)  # type: ignore[arg-type]
        if can(actor, Action.OPEN_CASE) or topic is None or topic.author_id != (actor.id if actor else None):
            return open_case(session, actor=actor, post=flagged, source=source, **_only(fields, OPEN_FIELDS))
        return submit_topic(session, actor=actor, topic=topic, **_only(fields, frozenset({"category"})))
    if source:
        return open_case(session, actor=actor, source=source, **_only(fields, OPEN_FIELDS))
    return report_concern(session, actor=actor, **_only(fields, REPORT_FIELDS))  # type: ignore[arg-type]


OPEN_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "unit",
        "building",
        "entrance",
        "location",
        "priority",
        "is_private",
        "resident",
        "contact",
    }
)
REPORT_FIELDS = frozenset(
    {"title", "description", "category", "building", "entrance", "location", "is_private", "contact"}
)
# What a client leaves out of a request arrives as these.
_UNSET = (None, False, "", Priority.NORMAL)


def _only(fields: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unused = sorted(k for k, v in fields.items() if k not in allowed and v not in _UNSET)
    if unused:
        raise Invalid(f"这种提交方式用不到这些字段：{', '.join(unused)}", field=unused[0])
    return {k: v for k, v in fields.items() if k in allowed and v is not None}
