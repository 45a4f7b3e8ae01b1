"""Chinese labels for enum values shown in the UI."""

ROLE_LABELS = {
    "visitor": "游客",
    "resident": "居民",
    "volunteer": "民情信息员",
    "grid_worker": "网格员",
    "staff": "社工",
    "unit_contact": "单位联系人",
    "admin": "管理员",
}

HOUSEHOLD_STATUS = {"pending": "待审核", "approved": "已认证", "rejected": "未通过"}

NOTIFICATION_VERBS = {
    "reply_topic": "回复了你的帖子",
    "reply_floor": "回复了你的楼层",
    "mention": "在帖子中提到了你",
    "followed_topic": "回复了你关注的帖子",
}
