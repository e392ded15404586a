"""The workshop web server: textual-serve, one app process per browser tab, with a session cap.

textual-serve's Server serves a page whose script opens a websocket; each websocket starts
`command` (here `intake-sim workshop-tab ...`) as its own process under Textual's web driver
and relays bytes both ways. This subclass adds what a workshop needs: our own page (title, the
bundled font instead of a font CDN), websocket URLs taken from the request (so the page works
under any host name or behind a reverse proxy), a cap on live tabs with a polite "workshop
full" page answered before any process starts, each trainee's process started as its page is
served (claimed by the page's websocket, so the two load side by side), plain start-up lines
instead of the logo, and the facilitator's live view at /facilitate, opened only with the
secret key in the link the server printed at start (its tabs run `intake-sim facilitate` and
do not count against the cap).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

TEMPLATES = Path(__file__).parent / "templates"
# A reloaded page asks for a place while its old tab is still closing: wait this long for one.
FULL_GRACE_S = 3.0
FULL_RETRY_S = 15
# A room has one facilitator, perhaps on two screens; more live views than this is a leak.
MAX_FACILITATOR_TABS = 4
FACILITATOR_FONT_SIZE = 20  # read from the back of a room
# A trainee's process starts when their page is asked for, not when its script connects, so the
# two overlap; a page that never connects gives its process up after this long.
UNCLAIMED_S = 30.0
RESIZE_AGAIN_S = 0.3

log = logging.getLogger("intake-sim.web")


class WorkshopServer(Server):
    """textual-serve's Server with a session cap and the workshop's pages."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        max_sessions: int,
        title: str = "intake-sim workshop",
        public_url: str | None = None,
        banner: str = "",
        facilitator_command: str | None = None,
        facilitator_key: str = "",
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=str(TEMPLATES))
        self.fixed_public_url = public_url.rstrip("/") if public_url else None
        self.max_sessions = max_sessions
        self.banner = banner
        self.facilitator_command = facilitator_command
        self.facilitator_key = facilitator_key
        self.live: dict[str, AppService] = {}
        self.facilitators: dict[str, AppService] = {}
        self.unclaimed: dict[str, _Unclaimed] = {}  # by the token in the page's websocket URL
        self._freed: asyncio.Event | None = None

    # -- logging and start-up -------------------------------------------------------------

    def initialize_logging(self) -> None:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
        for noisy in ("aiohttp.access", "textual-serve"):
            logging.getLogger(noisy).setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        self._freed = asyncio.Event()

    def run(self) -> None:
        """Serve until Ctrl+C or SIGTERM. Raises OSError when the address cannot be bound."""
        self.initialize_logging()
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()  # OSError: port taken
            # Only now, once the port is ours, is there anything to announce.
            if self.banner:
                print(self.banner, flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
            log.info("Stopping: closing %d tab(s).", len(self.live))
        finally:
            for token in list(self.unclaimed):  # no websocket will close these
                await self._give_up(token, "the server is stopping")
            await runner.cleanup()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/favicon.ico", self.handle_favicon)
        app.router.add_get("/ws/{token}", self.handle_claim, name="claim")
        if self.facilitator_command:
            app.router.add_get("/facilitate", self.handle_facilitator_index)
            # The key rides in the path: textual.js appends "?width=..&height=.." to this URL.
            app.router.add_get(
                "/facilitate/ws/{key}", self.handle_facilitator_ws, name="facilitator"
            )
        return app

    async def handle_favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    # -- pages ------------------------------------------------------------------------------

    def _base_url(self, request: web.Request) -> str:
        if self.fixed_public_url:
            return self.fixed_public_url
        # Behind a TLS-terminating proxy the page must open wss://; the header only shapes the
        # URLs sent back to the same client, so trusting it gives nothing away.
        proto = request.headers.get("X-Forwarded-Proto", request.scheme)
        scheme = "https" if proto == "https" else "http"
        return f"{scheme}://{request.host}"

    async def _place_free(self) -> bool:
        if len(self.live) >= self.max_sessions and self.unclaimed:
            # A process no page has claimed yet is a head start, not a place: give it up.
            await self._give_up(next(iter(self.unclaimed)), "a place was needed")
        if len(self.live) < self.max_sessions:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FULL_GRACE_S
        while len(self.live) >= self.max_sessions:
            left = deadline - loop.time()
            if left <= 0 or self._freed is None:
                return False
            self._freed.clear()
            try:
                await asyncio.wait_for(self._freed.wait(), left)
            except TimeoutError:
                return False
        return True

    def _full_page(self, request: web.Request) -> web.Response:
        response = aiohttp_jinja2.render_template(
            "full.html",
            request,
            {
                "title": self.title,
                "max_sessions": self.max_sessions,
                "retry_after": FULL_RETRY_S,
            },
            status=503,
        )
        response.headers["Retry-After"] = str(FULL_RETRY_S)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_index(self, request: web.Request) -> web.Response:
        if not await self._place_free():
            log.info("Workshop full (%d tabs): sent the full page.", len(self.live))
            return self._full_page(request)
        token = await self._start_unclaimed()
        if token is None:
            return self._app_page(request, "websocket", {}, self.title, 16)
        return self._app_page(request, "claim", {"token": token}, self.title, 16)

    async def _start_unclaimed(self) -> str | None:
        """Start a trainee's process for a page about to load; None if it would not start."""
        relay = _Relay()
        service = self._service(self.command, relay.write_bytes, relay.write_str, relay.close)
        self.live[service.app_service_id] = service
        try:
            await service.start(80, 24)  # resized to the page's terminal when it connects
        except Exception:
            log.exception("Tab failed to start")
            self.live.pop(service.app_service_id, None)
            return None
        token = secrets.token_urlsafe(16)
        expiry = asyncio.get_running_loop().call_later(
            UNCLAIMED_S, lambda: asyncio.ensure_future(self._give_up(token, "no page connected"))
        )
        self.unclaimed[token] = _Unclaimed(service, relay, expiry)
        log.info("Tab opened (%d of %d).", len(self.live), self.max_sessions)
        return token

    async def _give_up(self, token: str, why: str) -> None:
        unclaimed = self.unclaimed.pop(token, None)
        if unclaimed is None:
            return
        unclaimed.expiry.cancel()
        log.info("Tab closed before a page connected (%s).", why)
        await self._end_tab(None, unclaimed.service, self.live, "Tab")

    def _key_ok(self, request: web.Request) -> bool:
        given = request.match_info.get("key") or request.query.get("key", "")
        return bool(self.facilitator_key) and secrets.compare_digest(
            given.encode("utf-8", "replace"), self.facilitator_key.encode("utf-8")
        )

    async def handle_facilitator_index(self, request: web.Request) -> web.Response:
        if not self._key_ok(request):
            log.info("Facilitator page asked for without the right key: refused.")
            return self._message_page(
                request,
                "Facilitator view",
                "This page needs the facilitator's link, with its key, as the workshop server "
                "printed it when it started. Trainees: open the address without /facilitate.",
                status=403,
            )
        return self._app_page(
            request,
            "facilitator",
            {"key": request.query["key"]},
            f"{self.title}: facilitator",
            FACILITATOR_FONT_SIZE,
        )

    def _app_page(
        self, request: web.Request, route: str, parts: dict[str, str], title: str, size: int
    ) -> web.Response:
        base = self._base_url(request)
        ws_base = ("wss:" if base.startswith("https:") else "ws:") + base.split(":", 1)[1]
        router = request.app.router
        ws_url = router[route].url_for(**parts)
        context: dict[str, Any] = {
            "title": title,
            "font_size": to_int(request.query.get("fontsize", str(size)), size),
            "app_websocket_url": f"{ws_base}{ws_url}",
            "config": {
                "static": {
                    "url": f"{base}{router['static'].url_for(filename='/')}".rstrip("/") + "/"
                }
            },
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _message_page(
        self, request: web.Request, heading: str, text: str, *, status: int
    ) -> web.Response:
        response = aiohttp_jinja2.render_template(
            "message.html",
            request,
            {"title": self.title, "heading": heading, "text": text},
            status=status,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- one process per websocket ----------------------------------------------------------

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        return await self._fresh_tab(websocket, request)

    async def handle_claim(self, request: web.Request) -> web.WebSocketResponse:
        """The page's websocket takes over the process started when the page was served."""
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        unclaimed = self.unclaimed.pop(request.match_info["token"], None)
        if unclaimed is None:  # given up (too slow, or its place was needed): start afresh
            return await self._fresh_tab(websocket, request)
        unclaimed.expiry.cancel()
        service = unclaimed.service
        size = _size(request)
        resizing = asyncio.ensure_future(_resize_when_drawn(unclaimed.relay, service, size))
        try:
            await unclaimed.relay.attach(websocket)
            await self._relay(websocket, service)
        except asyncio.CancelledError:
            pass  # the server is stopping
        except Exception:
            log.exception("Tab failed")
        finally:
            resizing.cancel()
            await self._end_tab(websocket, service, self.live, "Tab")
        return websocket

    async def _fresh_tab(
        self, websocket: web.WebSocketResponse, request: web.Request
    ) -> web.WebSocketResponse:
        if not await self._place_free():
            # The page was served before the cap was reached; say so in the terminal itself.
            await websocket.send_bytes(
                b"\r\n  The workshop is full right now. Close another tab of yours, or ask the "
                b"facilitator, then reload this page.\r\n"
            )
            await websocket.close()
            return websocket
        await self._run_tab(websocket, request, self.command, self.live, "Tab")
        return websocket

    async def handle_facilitator_ws(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if not self._key_ok(request) or not self.facilitator_command:
            await websocket.close()
            return websocket
        if len(self.facilitators) >= MAX_FACILITATOR_TABS:
            await websocket.send_bytes(
                b"\r\n  The facilitator view is open in too many tabs: close one, then reload.\r\n"
            )
            await websocket.close()
            return websocket
        await self._run_tab(
            websocket, request, self.facilitator_command, self.facilitators, "Facilitator tab"
        )
        return websocket

    def _service(
        self,
        command: str,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
    ) -> AppService:
        return AppService(
            command,
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=self.download_manager,
            debug=self.debug,
        )

    async def _run_tab(
        self,
        websocket: web.WebSocketResponse,
        request: web.Request,
        command: str,
        registry: dict[str, AppService],
        what: str,
    ) -> None:
        """Start `command` for this websocket and relay until either side ends."""
        service = self._service(
            command, websocket.send_bytes, websocket.send_str, _closer(websocket)
        )
        registry[service.app_service_id] = service
        log.info("%s opened (%d of %d).", what, len(registry), self._cap(registry))
        try:
            await service.start(*_size(request))
            await self._relay(websocket, service)
        except asyncio.CancelledError:
            pass  # the server is stopping
        except Exception:
            log.exception("%s failed", what)
        finally:
            await self._end_tab(websocket, service, registry, what)

    async def _end_tab(
        self,
        websocket: web.WebSocketResponse | None,
        service: AppService,
        registry: dict[str, AppService],
        what: str,
    ) -> None:
        """Close the page's websocket (if one claimed the tab), stop the process, free the place."""
        try:
            if websocket is not None:
                await websocket.close()
            await service.stop()
        except Exception:
            log.exception("%s failed to close", what)
        finally:
            registry.pop(service.app_service_id, None)
            log.info("%s closed (%d of %d).", what, len(registry), self._cap(registry))
            if registry is self.live and self._freed is not None:
                self._freed.set()  # a reloaded page may be waiting for this place

    def _cap(self, registry: dict[str, AppService]) -> int:
        return self.max_sessions if registry is self.live else MAX_FACILITATOR_TABS

    async def _relay(self, websocket: web.WebSocketResponse, service: AppService) -> None:
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind = envelope[0]
            except (ValueError, TypeError, IndexError, KeyError):
                continue  # not ours: ignore rather than end the tab
            if kind == "stdin" and isinstance(envelope[1], str):
                await service.send_bytes(envelope[1].encode("utf-8"))
            elif kind == "resize" and isinstance(envelope[1], dict):
                size = envelope[1]
                await service.set_terminal_size(
                    _bounded(size.get("width"), 80), _bounded(size.get("height"), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


def _size(request: web.Request) -> tuple[int, int]:
    """The page's terminal size, from the query textual.js adds to the websocket URL."""
    return (
        _bounded(to_int(request.query.get("width", "80"), 80), 80),
        _bounded(to_int(request.query.get("height", "24"), 24), 24),
    )


class _Relay:
    """Where a tab's process writes before its page's websocket connects: held in order, then
    sent, and from then on passed straight through."""

    def __init__(self) -> None:
        self.websocket: web.WebSocketResponse | None = None
        self.held: list[bytes | str] = []
        self.closed = False
        self.drawn = asyncio.Event()  # the app has written its first bytes

    async def write_bytes(self, data: bytes) -> None:
        await self._write(data)

    async def write_str(self, data: str) -> None:
        await self._write(data)

    async def _write(self, data: bytes | str) -> None:
        self.drawn.set()
        if self.websocket is None:
            self.held.append(data)
        else:
            await _send(self.websocket, data)

    async def close(self) -> None:
        if self.websocket is None:
            self.closed = True
        else:
            await self.websocket.close()

    async def attach(self, websocket: web.WebSocketResponse) -> None:
        while self.held:  # writes arriving meanwhile join the queue, so the order holds
            await _send(websocket, self.held.pop(0))
        self.websocket = websocket
        if self.closed:
            await websocket.close()


async def _send(websocket: web.WebSocketResponse, data: bytes | str) -> None:
    if isinstance(data, bytes):
        await websocket.send_bytes(data)
    else:
        await websocket.send_str(data)


async def _resize_when_drawn(relay: _Relay, service: AppService, size: tuple[int, int]) -> None:
    """Give the app the page's terminal size once it can take it.

    A resize sent while the app is still starting is read by its input thread before Textual's
    web driver posts its start-up size (80x24) from a task, so the start-up size lands last and
    wins. So: wait for the app's first bytes, send the size, and send it again a moment later.
    """
    await relay.drawn.wait()
    await service.set_terminal_size(*size)
    await asyncio.sleep(RESIZE_AGAIN_S)
    await service.set_terminal_size(*size)


@dataclass
class _Unclaimed:
    service: AppService
    relay: _Relay
    expiry: asyncio.TimerHandle


def _closer(websocket: web.WebSocketResponse) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        await websocket.close()

    return close


def _bounded(value: object, default: int) -> int:
    number = value if isinstance(value, int) and not isinstance(value, bool) else default
    return max(10, min(number, 1000))
