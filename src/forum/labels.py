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
    "case_followup": "民情意见回访：解决了吗？",
    "case_overdue": "提醒：民情意见",
    "mod_warning": "对你发出了警告",
    "mod_muted": "对你执行了禁言",
    "mod_rejected": "未通过你待审核的内容",
}

CASE_STATUS = {
    "submitted": "新提交",
    "accepted": "已受理",
    "in_progress": "处理中",
    "resolved": "已解决",
    "rated": "已评价",
    "followed_up": "已回访",
    "closed": "已归档",
    "rejected": "不予受理",
    "duplicate": "重复",
}

CASE_SOURCE = {
    "forum": "论坛帖子",
    "report": "我要反映",
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
    "update": "补充情况",
    "request_return": "退单",
    "request_reassign": "申请改派",
    "request_extension": "申请延期",
    "approve_request": "同意",
    "refuse_request": "不同意",
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
    "update": "居民补充",
    "pushback": "单位申请",
    "pushback_decided": "申请处理",
    "followup_asked": "回访",
    "no_rating": "未评价",
}

REQUEST_KIND = {"return": "退单", "reassign": "改派申请", "extend": "延期申请"}
REQUEST_STATUS = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}
PHOTO_KIND = {"post": "帖子图片", "report": "居民拍摄", "before": "整改前", "after": "整改后"}

# What happens next, in the reporter's words, for each status (我的民情意见).
CASE_NEXT = {
    "submitted": "等待社区工作人员受理",
    "accepted": "已受理，等待责任单位处理",
    "in_progress": "责任单位正在处理",
    "resolved": "已办结，请告诉我们解决了没有",
    "rated": "已评价，稍后自动归档",
    "followed_up": "社区已回访，稍后自动归档",
    "closed": "已归档",
    "rejected": "不予受理，理由见办理进度",
    "duplicate": "已合并到另一件民情意见",
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

REPORT_REASON = {
    "ad": "广告",
    "abuse": "辱骂",
    "privacy": "泄露隐私",
    "false_info": "不实信息",
    "other": "其他",
}

MODERATION_ACTION = {
    "dismiss_reports": "驳回举报",
    "auto_hide": "自动隐藏",
    "hide_post": "隐藏",
    "restore_post": "恢复显示",
    "delete_post": "删除",
    "pin": "置顶",
    "unpin": "取消置顶",
    "feature": "设为精品",
    "unfeature": "取消精品",
    "lock": "锁定",
    "unlock": "解除锁定",
    "move_topic": "移动帖子",
    "warn": "警告",
    "mute": "禁言",
    "unmute": "解除禁言",
    "ban": "封禁",
    "unban": "解除封禁",
    "set_role": "修改角色",
    "approve_household": "通过住户认证",
    "reject_household": "驳回住户认证",
}

REPORT_RESOLUTION = {"dismissed": "已驳回", "hidden": "已隐藏", "deleted": "已删除"}

NOTICE_CATEGORY = {
    "announcement": "通知公告",
    "finance": "财务公开",
    "minutes": "会议纪要",
    "review": "评议结果",
    "guide": "办事指南",
}

QUESTION_KIND = {"single": "单选", "multiple": "多选", "rating": "评分（1–5 分）", "text": "文字意见"}

AUDIENCE = {"member": "每位居民一份", "household": "每户一份（已认证住户）"}

CONSULTATION_STATE = {"upcoming": "未开始", "open": "征求中", "closed": "已截止"}

CONSULTATION_KIND = {"ordinary": "征求意见", "review": "民主评议"}
