"""Settings: the one place that reads the environment (prefix FORUM_)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORUM_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="SQLite file, uploads, secret key")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    secret_key: str | None = Field(
        default=None, description="signing secret; default: generated once, kept in data_dir"
    )
    site_name: str = "嘉园一里社区吧"
    # Uploads
    max_upload_bytes: int = 8 * 1024 * 1024
    max_request_bytes: int = 40 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_images_per_post: int = 9
    thumbnail_size: int = 360
    # Sessions
    session_days: int = 30
    api_token_days: int = 90
    https_only_cookies: bool = False
    # Listing sizes
    topics_per_page: int = 30
    floors_per_page: int = 30
    subreplies_shown: int = 3
    # Cases
    archive_after_days: int = 7  # 已评价 / 已回访 -> 已归档 after this many days
    followup_after_days: int = Field(default=3, ge=0, le=60)  # 已解决: ask the reporter 解决了吗 after this
    followup_expire_days: int = Field(default=7, ge=1, le=90)  # no answer this long after asking: 未评价
    periodic_seconds: int = 3600  # how often each worker runs the scheduled work; 0: never
    # Moderation: open reports weighing this much together hide a post until staff review it
    # (forum.moderation.weight: an established, verified resident or staff 1, a new account 0.1)
    report_hide_threshold: int = Field(default=3, ge=1)
    # Search: "embedded" (the database's own full-text index) or "meilisearch" (FORUM_MEILI_URL)
    search_backend: str = "embedded"
    meili_url: str | None = None
    meili_key: str | None = None
    meili_index: str = "forum"
    # Send the outbox from inside each web worker; with several workers, run `forum index-worker`
    # once instead and turn this off.
    index_worker_in_app: bool = True
    # Guards (forum.guards): rate limits count one action in a fixed window of rate_window_minutes,
    # per account (lower for new accounts) and per IP address (higher: a 社区 service centre's
    # residents share one address). The counters live in the database, shared by every worker.
    rate_window_minutes: int = 60
    topics_per_window: int = 10
    new_user_topics_per_window: int = 3
    replies_per_window: int = 120
    new_user_replies_per_window: int = 20
    uploads_per_window: int = 60
    new_user_uploads_per_window: int = 10
    reports_per_window: int = 30
    new_user_reports_per_window: int = 5
    ip_posts_per_window: int = 400  # topics and replies together
    ip_uploads_per_window: int = 400
    ip_reports_per_window: int = 100
    registrations_per_ip_per_day: int = 10
    # Failed logins, per account name and per IP, in login_window_minutes: over either limit, even
    # the right password is refused until the window ends.
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 30
    login_window_minutes: int = 15
    # Trust: an account younger than trust_days or with fewer than trust_posts visible posts is
    # new: lower limits, no links. Staff are never new.
    trust_days: int = 2
    trust_posts: int = 3
    # Mail (forum.mail): off while smtp_host is empty — then no mail is queued at all and the
    # settings page says so. smtp_ssl: TLS from the start (port 465); smtp_starttls: upgrade (587).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = Field(default=20, gt=0)
    mail_from: str = "noreply@localhost"
    base_url: str = Field(default="http://127.0.0.1:8000", description="absolute links in mail")
    # Send the mail outbox from inside each web worker (safe with several); or run
    # `forum mail-worker` once and turn this off.
    mail_worker_in_app: bool = True
    mail_poll_seconds: float = Field(default=15, gt=0)
    mail_max_attempts: int = Field(default=8, ge=1)  # then the mail is marked failed (and kept)
    mail_retry_seconds: int = Field(default=60, ge=1)  # first retry; doubles each time, 6 h at most
    mail_digest_hour: int = Field(default=8, ge=0, le=23)  # daily digests go out at this hour (Shanghai)
    mail_verify_interval_seconds: int = Field(default=120, ge=0)  # between two verification mails
    # Anonymous page cache (forum.pagecache): home, board and topic pages for visitors without a
    # session, per worker, least recently used out first; they may be this many seconds stale.
    # 0 turns it off. Logged-in users always get fresh pages.
    anon_cache_seconds: int = Field(default=15, ge=0)
    anon_cache_entries: int = Field(default=2000, ge=1)
    anon_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # Development: reload templates when they change
    debug: bool = False
    # Serving
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    sql_echo: bool = False

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the common "postgresql://" spelling and use psycopg 3.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'forum.db').resolve()}"

    @cached_property
    def upload_dir(self) -> Path:
        path = self.data_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated on first run and stored in data_dir."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Write aside, then hard-link into place: the link fails if another worker won
            # the race, so every worker ends up reading the same complete key.
            tmp = path.with_name(f"secret_key.{secrets.token_hex(8)}")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()
