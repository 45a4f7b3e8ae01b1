"""The baseline: a bare Starlette app returning a small JSON, served exactly like the forum
(uvicorn, 1 worker, httptools + uvloop, no access log). `uvicorn bare_app:app --app-dir bench`."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "site": "社区吧", "message": "你好"})


app = Starlette(routes=[Route("/", hello)])
