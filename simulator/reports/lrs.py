"""Sending statements to a learning record store (LRS) over its xAPI 1.0.3 statements resource.

Statements go in batches as POST lists to `<endpoint>/statements`, with HTTP Basic auth and the
`X-Experience-API-Version: 1.0.3` header. Connection errors, timeouts, 429 and 5xx answers are
retried with exponential backoff (honouring Retry-After); when a batch still cannot be
delivered the run stops, and everything not delivered is counted as failed with the reason.

Statement ids are deterministic, so sending again is safe. An LRS either lists the ids it
stored (200: the others were already there) or answers 204 (all already there). A batch the
LRS refuses (400, 409, 413) is sent again one statement at a time to find which statement it
refuses and why; a 409 for a single statement is checked with a GET: the same statement
already stored counts as "already present", a different one as failed.

Passwords never appear in messages: they travel only in the Authorization header.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

XAPI_VERSION = "1.0.3"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0
MAX_DETAIL = 200


class LrsError(Exception):
    """A problem that stops the whole run (bad endpoint, refused credentials)."""


class _GiveUp(Exception):
    """A batch could not be delivered after every retry."""


@dataclass(frozen=True)
class LrsConfig:
    endpoint: str
    user: str
    password: str
    batch_size: int = 50
    retries: int = 4  # attempts after the first
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    timeout: float = 15.0

    @property
    def statements_url(self) -> str:
        return statements_url(self.endpoint)


@dataclass
class SendReport:
    total: int = 0
    sent: int = 0
    present: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (statement id, reason)
    stopped: str | None = None  # why the run stopped early, if it did
    settled: set[str] = field(default_factory=set, repr=False)  # ids sent, present or failed

    def done(self, ids: Sequence[str], *, sent: int = 0) -> None:
        """Count `ids` as delivered: `sent` of them newly stored, the rest already there."""
        self.sent += sent
        self.present += len(ids) - sent
        self.settled.update(ids)

    def fail(self, sid: str, reason: str) -> None:
        self.failed.append((sid, reason))
        self.settled.add(sid)

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None

    def lines(self) -> list[str]:
        out = [
            f"sent {self.sent}, already present {self.present}, failed {len(self.failed)} "
            f"(of {self.total} statements)"
        ]
        reasons = Counter(reason for _, reason in self.failed)
        for reason, count in reasons.most_common(5):
            out.append(f"  {count} failed: {reason}")
        if len(reasons) > 5:
            out.append(f"  ... and {len(reasons) - 5} other reasons")
        if self.stopped:
            out.append(f"stopped: {self.stopped}")
        return out


def statements_url(endpoint: str) -> str:
    """`<endpoint>/statements` for an xAPI endpoint such as https://lrs.example.org/xAPI/.

    Refuses anything but http(s), and credentials inside the URL (they would end up in
    messages and shell history; use --user and the password option or variable instead).
    """
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise LrsError("the endpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LrsError(
            f"the endpoint must be an http(s) URL such as https://lrs.example.org/xAPI/, "
            f"not {_safe_url(endpoint)!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise LrsError("put the user name and password in their options, not in the endpoint URL")
    base = endpoint.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if base.endswith("/statements"):
        return base
    return base + "/statements"


def is_plain_http_to_remote(endpoint: str) -> bool:
    """True when Basic credentials would cross a network unencrypted."""
    parts = urlsplit(endpoint)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1")


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    return parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")).geturl()


def describe_exception(exc: BaseException) -> str:
    """A short reason for a transport failure (no URL, no credentials)."""
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if (
            isinstance(cur, OSError)
            and cur.strerror
            and not isinstance(cur, requests.RequestException)
        ):
            return cur.strerror.lower()
        stack.extend([cur.__cause__, cur.__context__])
        stack.extend(a for a in cur.args if isinstance(a, BaseException))
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return f"connection failed ({type(exc).__name__})"


def _detail(response: requests.Response) -> str:
    """The LRS's own explanation, shortened; never the request (it holds the credentials)."""
    text = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = body.get("detail", body.get("message", body.get("error", "")))
            text = detail if isinstance(detail, str) else str(detail)
        elif isinstance(body, str):
            text = body
    except ValueError:
        text = response.text or ""
    text = " ".join(text.split())
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 1] + "…"
    head = f"HTTP {response.status_code}"
    return f"{head}: {text}" if text else head


class LrsClient:
    """One connection to one LRS; `send` delivers statements, `get` reads them back."""

    def __init__(
        self,
        config: LrsConfig,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.url = config.statements_url
        self._log = log or (lambda _msg: None)
        self._sleep = sleep
        self._http = requests.Session()
        self._http.auth = (config.user, config.password)
        self._http.headers.update(
            {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LrsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------

    def _request(self, method: str, what: str, **kwargs: Any) -> requests.Response:
        """One request with retries; raises _GiveUp after the last, LrsError on 401/403."""
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            reason: str
            wait = self.config.backoff * 2 ** (attempt - 1)
            try:
                response = self._http.request(
                    method, self.url, timeout=self.config.timeout, **kwargs
                )
            except requests.RequestException as exc:
                reason = describe_exception(exc)
            else:
                if response.status_code in (401, 403):
                    raise LrsError(
                        f"the LRS refused the credentials of user {self.config.user!r} "
                        f"({_detail(response)}); check --user and the password"
                    )
                if response.status_code not in RETRY_STATUSES:
                    return response
                reason = _detail(response)
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.strip().isdigit():
                    wait = min(float(retry_after), MAX_RETRY_AFTER)
            if attempt == attempts:
                raise _GiveUp(f"{reason} (gave up after {attempts} attempts)")
            self._log(
                f"{what}: attempt {attempt} of {attempts} failed ({reason}); retrying in {wait:g} s"
            )
            self._sleep(wait)
        raise AssertionError("unreachable")

    # -- sending -----------------------------------------------------------------------

    def send(self, statements: Sequence[dict[str, Any]]) -> SendReport:
        report = SendReport(total=len(statements))
        size = max(1, self.config.batch_size)
        batches = [list(statements[i : i + size]) for i in range(0, len(statements), size)]
        for n, batch in enumerate(batches):
            try:
                self._send_batch(batch, report, f"batch {n + 1} of {len(batches)}")
            except (_GiveUp, LrsError) as exc:
                if isinstance(exc, _GiveUp):
                    report.stopped = f"the LRS at {self.url} could not be reached: {exc}"
                    reason = f"not delivered: {exc}"
                else:
                    report.stopped = str(exc)
                    reason = "not delivered: credentials refused"
                for rest in batches[n:]:
                    for st in rest:
                        if st["id"] not in report.settled:
                            report.fail(st["id"], reason)
                return report
        return report

    def _send_batch(self, batch: list[dict[str, Any]], report: SendReport, what: str) -> None:
        response = self._request("POST", what, json=batch)
        ids = [st["id"] for st in batch]
        if response.status_code in (200, 204):
            report.done(ids, sent=_newly_stored(response, ids))
            return
        if len(batch) == 1:
            self._single_refused(batch[0], response, report)
            return
        self._log(f"{what}: the LRS refused the batch ({_detail(response)}); sending one by one")
        for st in batch:
            single = self._request("POST", f"statement {st['id']}", json=[st])
            self._single_refused(st, single, report)

    def _single_refused(
        self, st: dict[str, Any], response: requests.Response, report: SendReport
    ) -> None:
        if response.status_code in (200, 204):
            report.done([st["id"]], sent=_newly_stored(response, [st["id"]]))
            return
        if response.status_code == 409 and self._same_stored(st):
            report.done([st["id"]])
            return
        reason = _detail(response)
        if response.status_code == 409:
            reason = (
                f"{reason} (the LRS holds a different statement with this id, e.g. one sent "
                "earlier with other options such as --include-reflections or --home-page)"
            )
        report.fail(st["id"], reason)

    def _same_stored(self, st: dict[str, Any]) -> bool:
        try:
            response = self._request(
                "GET", f"statement {st['id']}", params={"statementId": st["id"]}
            )
        except _GiveUp:
            return False
        if response.status_code != 200:
            return False
        try:
            stored = response.json()
        except ValueError:
            return False
        return isinstance(stored, dict) and _same_event(stored, st)

    # -- reading back ----------------------------------------------------------------------

    def get(self, **params: str) -> list[dict[str, Any]]:
        """Statements matching the xAPI query parameters, following `more` links."""
        out: list[dict[str, Any]] = []
        response = self._request("GET", "query", params=params)
        while True:
            if response.status_code != 200:
                raise LrsError(f"the LRS could not list statements ({_detail(response)})")
            body = response.json()
            out.extend(body.get("statements", []))
            more = body.get("more")
            if not more:
                return out
            parts = urlsplit(self.url)
            url = more if "://" in more else f"{parts.scheme}://{parts.netloc}{more}"
            try:
                response = self._http.get(url, timeout=self.config.timeout)
            except requests.RequestException as exc:
                raise LrsError(f"the LRS stopped answering ({describe_exception(exc)})") from None


def _newly_stored(response: requests.Response, ids: Sequence[str]) -> int:
    """How many of `ids` the LRS stored now: 204 means none (all were there already); a 200
    lists the ids stored. An LRS that lists every id it was given counts them all as new."""
    if response.status_code == 204:
        return 0
    try:
        listed = response.json()
    except ValueError:
        return len(ids)
    if not isinstance(listed, list):
        return len(ids)
    stored = {i for i in listed if isinstance(i, str)}
    return sum(1 for i in ids if i in stored)


def _same_event(stored: dict[str, Any], ours: dict[str, Any]) -> bool:
    """The stored statement records the same event as ours (what an LRS may add aside)."""
    for key in ("actor", "verb", "object", "result"):
        if stored.get(key) != ours.get(key):
            return False
    return bool(
        (stored.get("context") or {}).get("registration")
        == (ours.get("context") or {}).get("registration")
    )
