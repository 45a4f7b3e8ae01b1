"""The fixes RESULTS.md suggests for the topic page, applied to a built app at runtime (src/ is
not modified): `apply(app)`. Used by bench/profile_topic.py (in-process what-if timings) and by
bench/whatif_app.py (the forum served with them, for `topic_page.py --what-if`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from starlette.datastructures import URL


def cached_url_for(app: Any) -> Callable[..., URL]:
    """A drop-in for Starlette's Jinja url_for: the path template of each (route name, parameter
    names) is found once through the router, then filled in with str.format."""
    formats: dict[tuple[str, tuple[str, ...]], str] = {}

    def path_format(name: str, params: dict[str, Any]) -> str:
        key = (name, tuple(sorted(params)))
        if key not in formats:
            # Distinct sentinels the convertors accept (ints for int params), swapped for {name}.
            sentinels = {
                k: 987_654_321_000 + i if isinstance(v, int) else f"SENTINEL{i}X"
                for i, (k, v) in enumerate(sorted(params.items()))
            }
            path = str(app.url_path_for(name, **sentinels))
            path = path.replace("{", "{{").replace("}", "}}")
            for k, v in sentinels.items():
                path = path.replace(str(v), "{" + k + "}")
            formats[key] = path
        return formats[key]

    @pass_context
    def url_for(context: Any, name: str, /, **params: Any) -> URL:
        request = context["request"]
        return URL(str(request.base_url).rstrip("/") + path_format(name, params).format(**params))

    return url_for


def apply(app: Any) -> Any:
    """Jinja2 without auto_reload (no stat() per {% include %}/{% import %}) and url_for from
    cached path templates."""
    env = app.state.templates.env
    env.auto_reload = False
    env.globals["url_for"] = cached_url_for(app)
    return app
