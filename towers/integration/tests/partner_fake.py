"""A partner's TMF621 endpoint on a real socket, for the outbound tests: records each request, answers as told."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakePartner:
    """Answers POST /troubleTicket with 201 and an id, PATCH with 200, POST /hub with 201; `fail` call numbers 503."""

    fail: set[int] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    answer: Callable[[Call], tuple[int, dict[str, Any]]] | None = None

    def __enter__(self) -> FakePartner:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                call = Call(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
                partner.calls.append(call)
                status, body = partner.respond(call, len(partner.calls))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tmf-api/troubleTicket/v5"

    def respond(self, call: Call, number: int) -> tuple[int, dict[str, Any]]:
        if number in self.fail:
            return 503, {"code": "503", "reason": "busy"}
        if self.answer is not None:
            return self.answer(call)
        if call.method == "POST" and call.path.endswith("/hub"):
            return 201, {"id": f"hub-{number}", **(call.body or {})}
        if call.method == "DELETE":
            return 204, {}
        if call.method == "POST":
            return 201, {
                "id": f"TT-{number}",
                "href": f"{self.base_url}/troubleTicket/TT-{number}",
                "status": "acknowledged",
            }
        return 200, {"id": call.path.rsplit("/", 1)[-1], **(call.body or {})}
