"""Boards (版块), topics, their numbered floors (posts), 楼中楼 sub-replies, tags, likes, images."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

TITLE_MAX = 60
BODY_MAX = 10_000
# A tag as a client sends it: a category's slug or name.
TagRef = Annotated[str, PField(max_length=32)]


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=20)
    description: str = Field(default="", max_length=200)
    position: int = 0
    # On 居务公开 only staff open topics; residents still reply.
    staff_only_topics: bool = False
    topic_count: int = 0
    post_count: int = 0


class Category(SQLModel, table=True):
    """An issue tag: the nine concern categories of DOMAIN.md, admin-editable."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=20, unique=True)
    position: int = 0


class Topic(SQLModel, table=True):
    __table_args__ = (
        # The board listing: pinned first, then by last reply, keyset-paged.
        Index("ix_topic_board_listing", "board_id", "is_pinned", "last_posted_at", "id"),
        Index("ix_topic_author", "author_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id")
    author_id: int = Field(foreign_key="user.id")
    title: str = Field(max_length=TITLE_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    last_posted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    last_poster_id: int | None = Field(default=None, foreign_key="user.id")
    # The highest floor handed out; the next reply takes floor_count + 1 in the same transaction.
    floor_count: int = 1
    reply_count: int = 0
    is_pinned: bool = False
    is_featured: bool = False
    is_locked: bool = False
    hidden_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    # Waiting for review (its 1楼 has a held word): seen only by its author and staff.
    held_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))

    @property
    def is_visible(self) -> bool:
        return self.hidden_at is None and self.deleted_at is None


class TopicTag(SQLModel, table=True):
    __tablename__ = "topic_tag"
    __table_args__ = (Index("ix_topic_tag_category", "category_id", "topic_id"),)

    topic_id: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    category_id: int = Field(foreign_key="category.id", primary_key=True, ondelete="CASCADE")


class Post(SQLModel, table=True):
    """A floor of a topic (1楼 is the opening post) or a 楼中楼 sub-reply (no floor, has parent)."""

    __table_args__ = (
        UniqueConstraint("topic_id", "floor", name="uq_post_topic_floor"),
        Index("ix_post_topic_author_floor", "topic_id", "author_id", "floor"),
        Index("ix_post_parent", "parent_id", "id"),
        Index("ix_post_author", "author_id", "id"),
        Index("ix_post_held", "held_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id")
    floor: int | None = None
    parent_id: int | None = Field(default=None, foreign_key="post.id")
    # For a sub-reply answering someone inside the 楼中楼: "回复 @name".
    reply_to_user_id: int | None = Field(default=None, foreign_key="user.id")
    quote_id: int | None = Field(default=None, foreign_key="post.id")
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(max_length=BODY_MAX)
    # Sanitised HTML rendered once at write time.
    body_html: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    hidden_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    # Waiting for review (forum.guards): seen only by its author and staff, counted nowhere yet.
    held_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    like_count: int = 0
    sub_count: int = 0
    # Who wrote the floor's text: "" a person; "case" another domain echoing a public event (a
    # 民情意见's progress) in the thread, in the name of whoever acted. Not editable as a post.
    origin: str = Field(default="", max_length=12)

    @property
    def is_visible(self) -> bool:
        return self.hidden_at is None and self.deleted_at is None


class PostRevision(SQLModel, table=True):
    """The text a post had before an edit (and the topic title, for floor 1)."""

    __tablename__ = "post_revision"
    __table_args__ = (Index("ix_post_revision_post", "post_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id")
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    editor_id: int = Field(foreign_key="user.id")
    replaced_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class PostLike(SQLModel, table=True):
    __tablename__ = "post_like"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class TopicFollow(SQLModel, table=True):
    __tablename__ = "topic_follow"
    __table_args__ = (Index("ix_topic_follow_user", "user_id", "topic_id"),)

    topic_id: int = Field(foreign_key="topic.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class Image(SQLModel, table=True):
    """An uploaded picture, re-encoded without metadata; stored under a generated key."""

    __table_args__ = (Index("ix_image_post", "post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32, unique=True)
    owner_id: int = Field(foreign_key="user.id")
    post_id: int | None = Field(default=None, foreign_key="post.id")
    content_type: str = Field(max_length=20)
    ext: str = Field(max_length=5)
    width: int
    height: int
    size: int
    original_name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


# --- API schemas -----------------------------------------------------------------------------


class BoardPublic(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    staff_only_topics: bool
    topic_count: int
    post_count: int


class TopicCreate(BaseModel):
    title: str = PField(max_length=TITLE_MAX * 4)
    body: str = PField(max_length=BODY_MAX * 2)
    tags: list[TagRef] = PField(default_factory=list, max_length=9)


class TopicUpdate(BaseModel):
    title: str | None = PField(default=None, max_length=TITLE_MAX * 4)
    body: str | None = PField(default=None, max_length=BODY_MAX * 2)
    tags: list[TagRef] | None = PField(default=None, max_length=9)


class ReplyCreate(BaseModel):
    body: str = PField(max_length=BODY_MAX * 2)
    parent_floor: int | None = PField(default=None, ge=1, le=10**9)
    quote_floor: int | None = PField(default=None, ge=1, le=10**9)
    reply_to: str | None = PField(default=None, max_length=20)


class ReplyUpdate(BaseModel):
    body: str = PField(max_length=BODY_MAX * 2)


class AuthorPublic(BaseModel):
    id: int
    username: str
    is_verified: bool


class PostPublic(BaseModel):
    id: int
    floor: int | None
    parent_floor: int | None = None
    quote_floor: int | None = None
    author: AuthorPublic
    body: str | None
    body_html: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    like_count: int
    sub_count: int
    images: list[str] = []


class TopicPublic(BaseModel):
    id: int
    board_id: int
    title: str
    author: AuthorPublic
    tags: list[str]
    created_at: datetime
    last_posted_at: datetime
    reply_count: int
    floor_count: int
    is_pinned: bool
    is_featured: bool
    is_locked: bool


class TopicDetail(TopicPublic):
    first_post: PostPublic


class TopicPage(BaseModel):
    items: list[TopicPublic]
    next_cursor: str | None


class PostPage(BaseModel):
    items: list[PostPublic]
    next_cursor: str | None
