"""REST plumbing: read a request, apply faults, rate limits and auth, run the route, record it.

The routes themselves live in groups (``rest_application``, ``rest_channels``,
``rest_interactions``), each a class whose ``routes()`` lists ``(method, template, handler)``;
``DiscordDouble`` hands the groups to ``RestApi``. A new part of the API is a new group.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from aiohttp import BodyPartReader, web

from tests.discord_double import payloads as p
from tests.discord_double.faults import apply_rate_limits, take_fault
from tests.discord_double.records import RecordedFile, RecordedRequest
from tests.discord_double.state import DoubleState

API_PREFIX = "/api/v10"
ATTACHMENT_DESCRIPTION_LIMIT = 1024
_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


@dataclass
class Call:
    """A parsed request handed to a route handler."""

    request: web.Request
    path: str
    params: dict[str, str]
    body: Any
    files: tuple[RecordedFile, ...]


RouteHandler = Callable[[Call], Awaitable[web.Response]]
# (method, path template with ``{name}`` segments, handler)
Route = tuple[str, str, RouteHandler]


class RouteGroup(Protocol):
    """A part of the API: the routes it answers."""

    def routes(self) -> list[Route]:
        """Its routes, in the order they are matched."""
        ...


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses JSON only when the content type is exactly application/json."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def discord_error(status: int, code: int, message: str) -> web.Response:
    """Discord's error body: ``{"code", "message"}``."""
    return json_response(status, {"code": code, "message": message})


def message_refusal(
    body: Any, files: tuple[RecordedFile, ...], *, editing: bool = False
) -> web.Response | None:
    """Discord's 400 for an empty or over-limit message body, or None if it is acceptable."""
    if not isinstance(body, dict):
        body = {}
    if not editing and p.is_empty_message(body, has_files=bool(files)):
        return discord_error(400, 50006, "Cannot send an empty message")
    errors = p.message_errors(body, has_files=bool(files), editing=editing)
    for index, file in enumerate(files):
        if file.description is not None and len(file.description) > ATTACHMENT_DESCRIPTION_LIMIT:
            errors.setdefault("attachments", {})[str(index)] = {
                "description": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": f"Must be {ATTACHMENT_DESCRIPTION_LIMIT} or fewer in "
                            "length.",
                        }
                    ]
                }
            }
    if errors:
        return json_response(400, p.invalid_form_body(errors))
    return None


class RestApi:
    """Discord's HTTP API under ``/api/v10``: every request recorded with the status answered."""

    def __init__(self, state: DoubleState, groups: Iterable[RouteGroup]) -> None:
        self.state = state
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []
        for group in groups:
            for method, template, handler in group.routes():
                regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
                self._routes.append((method, re.compile(f"^{regex}$"), handler))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer and record one request (an unknown route: 404, also in ``unknown_routes``)."""
        body, files = await self._read_body(request)
        method = request.method
        full_path = request.path
        path = full_path[len(API_PREFIX) :] if full_path.startswith(API_PREFIX + "/") else None
        response, known_route = await self._answer(request, method, path, body, files)
        recorded = RecordedRequest(
            method=method,
            path=path if path is not None else full_path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            files=files,
            status=response.status,
            at=time.monotonic(),
        )
        self.state.requests.append(recorded)
        if not known_route:
            self.state.unknown_routes.append(recorded)
        self.state.notify()
        return response

    async def _read_body(self, request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
        """JSON, or a multipart upload: ``payload_json`` and ``files[n]`` parts, each file given
        the filename and description (alt text) of its ``attachments`` entry (id ``n``)."""
        content_type = request.content_type
        if content_type == "multipart/form-data":
            body, files = await self._read_multipart(request)
            return body, self._described(request, body, files)
        raw = await request.read()
        if not raw:
            return None, ()
        if content_type != "application/json":
            self.state.protocol_errors.append(
                f"{request.method} {request.path}: body sent as {content_type!r}, not JSON"
            )
            return raw.decode("utf-8", "replace"), ()
        return json.loads(raw), ()

    async def _read_multipart(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        body: Any = None
        files: list[RecordedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append(
                    RecordedFile(
                        field_name=part.name or "",
                        filename=part.filename or "",
                        content_type=part.headers.get("Content-Type", ""),
                        data=bytes(data),
                    )
                )
        return body, files

    def _described(
        self, request: web.Request, body: Any, files: list[RecordedFile]
    ) -> tuple[RecordedFile, ...]:
        """Each file with its `attachments` entry's description (an interaction callback nests
        the message under ``data``, a forum post under ``message``)."""
        holder = body if isinstance(body, dict) else {}
        for nested in ("data", "message"):
            if isinstance(holder.get(nested), dict) and "attachments" in holder[nested]:
                holder = holder[nested]
        entries = holder.get("attachments")
        by_id = {str(entry.get("id")): entry for entry in entries or [] if isinstance(entry, dict)}
        described = []
        for file in files:
            found = _FILE_FIELD.match(file.field_name)
            entry = by_id.get(found.group(1)) if found else None
            if entry is None:
                self.state.protocol_errors.append(
                    f"{request.method} {request.path}: file part {file.field_name!r} has no "
                    "attachments entry"
                )
                described.append(file)
                continue
            described.append(
                replace(
                    file,
                    filename=str(entry.get("filename") or file.filename),
                    description=entry.get("description"),
                )
            )
        return tuple(described)

    async def _answer(
        self,
        request: web.Request,
        method: str,
        path: str | None,
        body: Any,
        files: tuple[RecordedFile, ...],
    ) -> tuple[web.Response, bool]:
        if path is None:
            return json_response(404, {"code": 0, "message": "404: Not Found"}), False
        fault = take_fault(self.state.faults, method, path)
        if fault is not None:
            return json_response(fault.status, fault.body, fault.headers), True
        refusal, limit_headers = apply_rate_limits(self.state.rate_limits, method, path)
        if refusal is not None:
            return json_response(refusal.status, refusal.body, refusal.headers), True
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if route_method == method and found:
                needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.state.token}":
                    return discord_error(401, 0, "401: Unauthorized"), True
                call = Call(request, path, found.groupdict(), body, files)
                response = await handler(call)
                response.headers.update(limit_headers)
                return response, True
        return json_response(404, {"code": 0, "message": "404: Not Found"}), False
