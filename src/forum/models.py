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
from forum.notifications.models import Notification

__all__ = [
    "Board",
    "Category",
    "Household",
    "Image",
    "LoginSession",
    "Notification",
    "Post",
    "PostLike",
    "PostRevision",
    "Role",
    "Topic",
    "TopicFollow",
    "TopicTag",
    "User",
]
