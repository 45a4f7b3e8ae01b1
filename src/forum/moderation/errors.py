"""The moderation domain's own error: a muted user trying to write."""

from __future__ import annotations

from datetime import datetime

from forum.errors import NotPermitted
from forum.timeutil import local


class Muted(NotPermitted):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"你已被禁言至 {local(until):%Y-%m-%d %H:%M}（北京时间），"
            "期间可以浏览，但不能发帖、回复、点赞、举报、上传图片、编辑、反映民情或填写征求意见"
        )
        self.until = until
