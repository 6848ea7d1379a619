"""Request body size limit (``DISPATCH_MAX_BODY_BYTES``, default 1 MB): a small ASGI middleware.

A body announced larger than the limit (``Content-Length``) is refused at once with 413 problem+json,
before the application reads it. A body without a length (chunked) is read up to the limit, then
refused the same way; below the limit it is handed to the application unchanged. Paths under a
prefix of ``larger`` (the CSV imports: ``DISPATCH_IMPORT_MAX_BYTES`` plus room for the multipart
envelope) have their own limit, checked again by their endpoint.
"""

from __future__ import annotations

import json

PROBLEM_JSON = b"application/problem+json"


class BodySizeLimit:
    def __init__(self, app, max_bytes: int = 1_000_000, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    def _limit(self, path: str) -> int:
        for prefix, limit in self.larger.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def _refuse(self, send, limit: int) -> None:
        setting = "DISPATCH_MAX_BODY_BYTES" if limit == self.max_bytes else "DISPATCH_IMPORT_MAX_BYTES"
        body = json.dumps({
            "type": "about:blank", "title": "Content too large", "status": 413,
            "detail": f"the request body is larger than {limit} bytes; send a smaller body (the limit is {setting})",
            "field": "body",
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:  # handled: a malformed length is checked while reading the body
                    length = None
                break
        if length is not None:
            if length > limit:
                await self._refuse(send, limit)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # No length given: read up to the limit, then replay what was read to the application.
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay():
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
