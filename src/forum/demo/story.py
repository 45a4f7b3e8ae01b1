"""When the demo's stories happened, relative to the moment the demo is loaded. The content (its
threads' key floors and notices), the seed (each case's timeline, its 协调会), the 居务公开 notices
and the parking consultation all read their dates here, so a thread, a case, a meeting and the
minutes of that meeting agree. Times are UTC; the days and hours are chosen in Shanghai time,
because that is how the texts speak of them (明天晚上7点, 下周六上午)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from forum.timeutil import SHANGHAI

# The "now" content is built for outside a seed (tests, a preview): fixed, so it is the same every day.
REFERENCE_NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
# The board opened this long ago: the staff's accounts and the rules topic are this old.
OPENED_DAYS_AGO = 150.5
WEEKDAYS = "一二三四五六日"


def local_day(now: datetime, days_ago: float) -> date:
    """The Shanghai date `days_ago` days before `now`."""
    return (now - timedelta(days=days_ago)).astimezone(SHANGHAI).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at hour:minute Shanghai time, in UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


def days_before(now: datetime, when: datetime) -> float:
    return (now - when).total_seconds() / 86400


def md(when: datetime) -> str:
    """7月5日 (Shanghai)."""
    day = when.astimezone(SHANGHAI)
    return f"{day.month}月{day.day}日"


def md_weekday(when: datetime) -> str:
    """7月5日（周六）."""
    return f"{md(when)}（周{WEEKDAYS[when.astimezone(SHANGHAI).weekday()]}）"


class Parking(NamedTuple):
    """The 7/8号楼 parking case (DOMAIN.md's first example): two 协调会, then a plan under consultation."""

    call: datetime  # 居委会王主任 calls the first 协调会 for the next evening
    meeting1: datetime
    report: datetime  # 七号楼老张 reports back the next morning
    lines: datetime  # 物业 has cleared outside cars and painted the fire-lane lines
    quieter: datetime  # 八号楼李阿姨: the doorway is clear
    meeting2: datetime
    agreed: datetime  # 社工小李: what the second meeting agreed
    minutes: datetime  # the minutes notice
    plan: datetime  # the plan notice; the consultation opens
    voted: datetime  # 老陈开车 has voted
    closes: datetime  # the consultation closes


def parking(now: datetime) -> Parking:
    call = at(local_day(now, 62), 10, 20)
    meeting1 = at(local_day(now, 62) + timedelta(days=1), 19)
    lines = at(local_day(now, 41), 15, 30)
    meeting2 = at(local_day(now, 16), 19)
    plan = at(local_day(now, 16) + timedelta(days=6), 9)
    return Parking(
        call=call,
        meeting1=meeting1,
        report=meeting1 + timedelta(hours=15),
        lines=lines,
        quieter=lines + timedelta(days=2, hours=3),
        meeting2=meeting2,
        agreed=meeting2 + timedelta(hours=15, minutes=30),
        minutes=at(local_day(now, 16) + timedelta(days=1), 9, 30),
        plan=plan,
        voted=plan + timedelta(days=1, hours=11),
        closes=plan + timedelta(days=20),
    )


class Bus(NamedTuple):
    """48路's platform: the 驻区建设单位 builds ramps."""

    progress: datetime  # the unit has measured the platform
    done: datetime  # the ramps are finished
    tried: datetime  # 琳琳妈咪 tried them with the pram
    notice: datetime  # 完工通报


def bus(now: datetime) -> Bus:
    done = at(local_day(now, 100), 10, 10)
    return Bus(
        progress=at(local_day(now, 108), 16, 30),
        done=done,
        tried=done + timedelta(hours=23),
        notice=done + timedelta(hours=5),
    )


class Lift(NamedTuple):
    """The lifts run around the clock from the day after 居委会王主任 says so."""

    announce: datetime
    running: datetime  # 物业 switches them to 24 hours
    notice: datetime
    thanks: datetime  # 十号楼Tony came home at midnight


def lift(now: datetime) -> Lift:
    announce = at(local_day(now, 90), 17, 30)
    next_day = local_day(now, 90) + timedelta(days=1)
    return Lift(
        announce=announce,
        running=at(next_day, 8),
        notice=at(next_day, 9),
        thanks=at(next_day + timedelta(days=1), 8, 40),
    )


class Noise(NamedTuple):
    """The south building site: a 协调会 with the 施工单位, a compensation list on show for 7 days,
    payment, a staff call-back."""

    meeting: datetime
    report: datetime  # 居委会王主任 posts the result
    notice: datetime  # the compensation standard, on show for 7 days
    quiet: datetime  # 十二号楼住户: the nights are quiet now
    paid: datetime
    claimed: datetime  # 一里闲人 has collected his
    called: datetime  # staff 回访


def noise(now: datetime) -> Noise:
    meeting = at(local_day(now, 75), 19)
    notice = at(local_day(now, 75) + timedelta(days=2), 9)
    paid = at(local_day(now, 75) + timedelta(days=10), 16)
    return Noise(
        meeting=meeting,
        report=meeting + timedelta(hours=15),
        notice=notice,
        quiet=notice + timedelta(days=2, hours=12),
        paid=paid,
        claimed=paid + timedelta(hours=20),
        called=paid + timedelta(days=3, hours=18),
    )


class Dogs(NamedTuple):
    """The 文明养犬协会: announced, founded on the Saturday of the next week, then its 公约 is consulted."""

    announce: datetime
    founding: datetime
    notice: datetime
    thanks: datetime  # 豆豆妈 thanks everyone
    cleaner: datetime  # 八号楼李阿姨: the lawns are cleaner this month


def dogs(now: datetime) -> Dogs:
    day = local_day(now, 76)
    saturday = day + timedelta(days=7 - day.weekday() + 5)
    founding = at(saturday, 9, 30)
    return Dogs(
        announce=at(day, 18),
        founding=founding,
        notice=at(saturday, 15),
        thanks=at(saturday, 20, 10),
        cleaner=at(saturday + timedelta(days=21), 12),
    )


class Consultation(NamedTuple):
    opens: datetime
    closes: datetime


def dog_rules(now: datetime) -> Consultation:
    """The 《文明养犬公约（草案）》 is consulted after the association is founded."""
    return Consultation(opens=at(local_day(now, 40), 9), closes=at(local_day(now, 26), 18))


class Review(NamedTuple):
    """The year's 民主评议: answered online, then the 民主评议会 on the 物业, then its results."""

    opens: datetime
    closes: datetime
    meeting: datetime
    notice: datetime
    year: int


def review(now: datetime) -> Review:
    opens = at(local_day(now, 35), 9)
    # Held towards the year's end: in the first half of a year it reviews the year before.
    year = opens.astimezone(SHANGHAI).year - (opens.astimezone(SHANGHAI).month < 7)
    return Review(
        opens=opens,
        closes=at(local_day(now, 21), 18),
        meeting=at(local_day(now, 8), 14, 30),
        notice=at(local_day(now, 6), 10),
        year=year,
    )


class Representatives(NamedTuple):
    """The 居民代表会议 adopts the 养犬公约 after its consultation closed."""

    notice: datetime


def representatives(now: datetime) -> Representatives:
    return Representatives(notice=at(local_day(now, 18), 10))


_STORIES: dict[str, Callable[[datetime], Any]] = {
    "parking": parking,
    "bus": bus,
    "lift": lift,
    "noise": noise,
    "dogs": dogs,
    "dog_rules": dog_rules,
    "review": review,
    "representatives": representatives,
}


def moment(now: datetime, ref: str) -> datetime:
    """A story's moment by name: moment(now, "lift.notice")."""
    name, field = ref.split(".")
    value = getattr(_STORIES[name](now), field)
    assert isinstance(value, datetime)
    return value


def moments(now: datetime, name: str) -> dict[str, datetime]:
    """Every moment of one story, by name."""
    return {k: v for k, v in _STORIES[name](now)._asdict().items() if isinstance(v, datetime)}
