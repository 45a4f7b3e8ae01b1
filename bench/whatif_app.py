"""The forum app as shipped, with bench/fixes.py applied: `uvicorn whatif_app:app --app-dir bench`
(settings from FORUM_*, like forum.asgi). Served by `topic_page.py --what-if` next to the shipped app."""

import fixes

from forum.asgi import app

fixes.apply(app)
