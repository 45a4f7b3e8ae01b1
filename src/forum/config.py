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
    archive_after_days: int = 7  # 已回访 -> 已归档 after this many days
    periodic_seconds: int = 3600  # how often each worker runs the scheduled work; 0: never
    # Search: "embedded" (the database's own full-text index) or "meilisearch" (FORUM_MEILI_URL)
    search_backend: str = "embedded"
    meili_url: str | None = None
    meili_key: str | None = None
    meili_index: str = "forum"
    # Send the outbox from inside each web worker; with several workers, run `forum index-worker`
    # once instead and turn this off.
    index_worker_in_app: bool = True
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
