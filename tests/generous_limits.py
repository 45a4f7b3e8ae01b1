"""Rate limits and trust levels loose enough for tests that post a lot, from one address, with
accounts made a moment ago. The guards' own tests (tests/guards) lower them explicitly."""

from __future__ import annotations

GENEROUS_LIMITS: dict[str, int] = {
    "topics_per_window": 100_000,
    "new_user_topics_per_window": 100_000,
    "replies_per_window": 100_000,
    "new_user_replies_per_window": 100_000,
    "uploads_per_window": 100_000,
    "new_user_uploads_per_window": 100_000,
    "reports_per_window": 100_000,
    "new_user_reports_per_window": 100_000,
    "ip_posts_per_window": 100_000,
    "ip_uploads_per_window": 100_000,
    "ip_reports_per_window": 100_000,
    "registrations_per_ip_per_day": 100_000,
    "login_failures_per_account": 100_000,
    "login_failures_per_ip": 100_000,
    "trust_days": 0,
    "trust_posts": 0,
}


def as_env() -> dict[str, str]:
    """The same, as FORUM_ environment variables for a server process."""
    return {f"FORUM_{name.upper()}": str(value) for name, value in GENEROUS_LIMITS.items()}
