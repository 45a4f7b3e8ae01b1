"""ASGI entry point for uvicorn workers: `uvicorn forum.asgi:app` (settings from FORUM_*)."""

from forum.app import create_app

app = create_app()
