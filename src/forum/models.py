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
from forum.consultations.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
)
from forum.guards.models import RateCounter, SensitiveWord, WordListVersion
from forum.mail.models import MailAddress, MailDigestItem, MailOutbox
from forum.moderation.models import ModerationAction, Report, ReportedPost
from forum.notices.models import Notice, NoticeAttachment, NoticeRead, NoticeVersion
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
    "Consultation",
    "ConsultationAnswer",
    "ConsultationOption",
    "ConsultationQuestion",
    "ConsultationResponse",
    "Household",
    "Image",
    "LoginSession",
    "MailAddress",
    "MailDigestItem",
    "MailOutbox",
    "Meeting",
    "MeetingCase",
    "ModerationAction",
    "Notice",
    "NoticeAttachment",
    "NoticeRead",
    "NoticeVersion",
    "Notification",
    "Post",
    "PostLike",
    "PostRevision",
    "RateCounter",
    "Report",
    "ReportedPost",
    "Role",
    "SearchDoc",
    "SearchOutbox",
    "SearchState",
    "SensitiveWord",
    "Topic",
    "TopicFollow",
    "TopicTag",
    "Unit",
    "UnitMember",
    "User",
    "WordListVersion",
]
