"""Moderation: reports (举报), the staff queue, warnings, mutes, bans and the audit log."""
