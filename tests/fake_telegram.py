"""A fake Telegram Bot API on 127.0.0.1, at the network edge: the real python-telegram-bot talks
to it over HTTP as it would to api.telegram.org. It records every call, answers as the Bot API
does (message ids, chats, `ok`/`result`), feeds updates to long polling, and can be told to
answer 429 with `retry_after`, or 403 for a chat that blocked the bot.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:AAFakeTokenForTheTestsOnly_0123456789"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Nezlam", "username": "nezlam_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def decoded(value: str) -> Any:
    """python-telegram-bot sends each parameter as a form field, objects as JSON."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def form_params(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        return {
            part.get_param("name", header="content-disposition"): decoded(
                part.get_content() if isinstance(part.get_content(), str) else ""
            )
            for part in message.iter_parts()
        }
    return {key: decoded(value) for key, value in parse_qsl(body.decode())}


class FakeTelegram:
    """The fake server: `url` is what NEZLAM_TELEGRAM_API_URL would be."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: list[tuple[str, int, dict[str, Any]]] = []  # (method, code, parameters)
        self.blocked: set[str] = set()  # chat ids that blocked the bot: 403
        self.changed = threading.Condition()
        self.next_message_id = 1000
        self.next_update_id = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the library's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                params = form_params(self.headers.get("Content-Type", ""), body)
                code, answer = fake.answer(self.path, params)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.changed:
            self.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # --- what tests do ---------------------------------------------------------------------

    def fail(self, method: str, code: int = 429, retry_after: int = 3, times: int = 1) -> None:
        """The next `times` calls of `method` fail with `code` (429: with `retry_after`)."""
        parameters = {"retry_after": retry_after} if code == 429 else {}
        with self.changed:
            self.failures += [(method, code, parameters)] * times

    def feed(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for long polling; returns it with its update_id."""
        with self.changed:
            update = {"update_id": self.next_update_id, **update}
            self.next_update_id += 1
            self.updates.append(update)
            self.changed.notify_all()
        return update

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.changed:
            return [call.params for call in self.calls if call.method == method]

    def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 30.0) -> None:
        """Until `count` calls of `method` were made (an event, not a sleep)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method}: {count} calls expected")
                self.changed.wait(left)

    # --- the Bot API -----------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path[len(prefix) :]
        if method == "getUpdates":
            return 200, {"ok": True, "result": self.pending_updates(params)}
        with self.changed:
            self.calls.append(Call(method, params))
            self.changed.notify_all()
            failure = next((f for f in self.failures if f[0] == method), None)
            if failure is not None:
                self.failures.remove(failure)
                return failure[1], self.error(failure[1], failure[2])
            if str(params.get("chat_id")) in self.blocked:
                return 403, self.error(403, {})
            return 200, {"ok": True, "result": self.result(method, params)}

    def error(self, code: int, parameters: dict[str, Any]) -> dict[str, Any]:
        words = {
            429: f"Too Many Requests: retry after {parameters.get('retry_after')}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }
        answer = {"ok": False, "error_code": code, "description": words.get(code, "Error")}
        if parameters:
            answer["parameters"] = parameters
        return answer

    def result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            self.next_message_id += 1
            chat_id = int(params["chat_id"]) if str(params["chat_id"]).lstrip("-").isdigit() else 1
            return {
                "message_id": params.get("message_id", self.next_message_id),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True

    def pending_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + wait
        with self.changed:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
            return list(self.updates)


def private_chat(chat_id: int, language: str = "uk") -> dict[str, Any]:
    return {
        "from": {
            "id": chat_id,
            "is_bot": False,
            "first_name": "Resident",
            "language_code": language,
        },
        "chat": {"id": chat_id, "type": "private", "first_name": "Resident"},
    }


def text_update(chat_id: int, text: str, language: str = "uk") -> dict[str, Any]:
    people = private_chat(chat_id, language)
    return {"message": {"message_id": 1, "date": int(time.time()), "text": text, **people}}


def location_update(chat_id: int, lat: float, lon: float, language: str = "uk") -> dict[str, Any]:
    people = private_chat(chat_id, language)
    location = {"latitude": lat, "longitude": lon}
    return {"message": {"message_id": 1, "date": int(time.time()), "location": location, **people}}


def button_update(
    chat_id: int, data: str, message_id: int = 5, language: str = "uk", query_id: str = "q1"
) -> dict[str, Any]:
    people = private_chat(chat_id, language)
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "text": "…",
        "chat": people["chat"],
    }
    return {
        "callback_query": {
            "id": query_id,
            "from": people["from"],
            "chat_instance": "1",
            "data": data,
            "message": message,
        }
    }
