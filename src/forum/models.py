"""Every table, imported once so SQLModel.metadata (and Alembic) sees them all."""

from forum.accounts.models import Household, LoginSession, Role, User
from forum.boards.models import (
    Board,
    Category,
    Image,
    Post,
    PostLike,
    PostRevision,
    Topic,
    TopicFollow,
    TopicTag,
)
from forum.cases.models import (
    Case,
    CaseEvent,
    CaseFollow,
    CasePost,
    CaseSupport,
    CategoryRoute,
    Meeting,
    MeetingCase,
    Unit,
    UnitMember,
)
from forum.notifications.models import Notification
from forum.search.models import SearchDoc, SearchOutbox, SearchState

__all__ = [
    "Board",
    "Case",
    "CaseEvent",
    "CaseFollow",
    "CasePost",
    "CaseSupport",
    "Category",
    "CategoryRoute",
    "Household",
    "Image",
    "LoginSession",
    "Meeting",
    "MeetingCase",
    "Notification",
    "Post",
    "PostLike",
    "PostRevision",
    "Role",
    "SearchDoc",
    "SearchOutbox",
    "SearchState",
    "Topic",
    "TopicFollow",
    "TopicTag",
    "Unit",
    "UnitMember",
    "User",
]
