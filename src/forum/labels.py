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
    "case_update": "更新了民情意见",
    "case_assigned": "给你的单位转来民情意见",
    "case_rated": "评价了民情意见",
    "case_overdue": "提醒：民情意见",
}

CASE_STATUS = {
    "submitted": "新提交",
    "accepted": "已受理",
    "in_progress": "处理中",
    "resolved": "已解决",
    "followed_up": "已回访",
    "closed": "已归档",
    "rejected": "不予受理",
    "duplicate": "重复",
}

CASE_SOURCE = {
    "forum": "论坛帖子",
    "visit": "走访",
    "phone": "电话",
    "walk_in": "来访",
    "contact_card": "民情联系卡",
    "log": "民情日志",
}

CASE_ACTION = {
    "accept": "受理",
    "start": "开始处理",
    "resolve": "办结",
    "reject": "不予受理",
    "reopen": "重新打开",
    "merge": "合并为重复",
    "rate": "评价",
    "rate_unsatisfied": "评价：不满意",
    "follow_up": "登记回访",
    "close": "归档",
    "archive": "归档",
    "assign": "转办",
    "set_deadline": "修改期限",
    "comment": "公开回复",
    "note": "内部备注",
}

CASE_EVENT = {
    "opened": "立案",
    "accept": "受理",
    "start": "开始处理",
    "resolve": "办结",
    "reject": "不予受理",
    "reopen": "重新打开",
    "merge": "合并为重复",
    "merged_in": "合并",
    "rate": "评价",
    "rate_unsatisfied": "评价",
    "follow_up": "回访",
    "close": "归档",
    "archive": "归档",
    "assign": "转办",
    "deadline": "修改期限",
    "comment": "社区回复",
    "unit_reply": "单位回复",
    "note": "内部备注",
    "meeting": "会议",
    "link": "关联帖子",
}

RATING = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}

PRIORITY = {"normal": "一般", "urgent": "紧急"}

MEETING_KIND = {
    "coordination": "协调会",
    "talk": "民情恳谈会",
    "mediation": "民事协调会",
    "hearing": "民意听证会",
    "review": "民主评议会",
}
