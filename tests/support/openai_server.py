"""An OpenAI-compatible chat-completions server on loopback: the one stand-in the project allows (for the LLM).

Tests give it a `reply(request_json) -> str | (status, body) | {"content": str, "finish_reason": str}` function; the real `openai` client and our
prompt and parse code talk to it over HTTP exactly as they would to a model server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], "str | tuple[int, dict[str, Any]] | dict[str, str]"]


class FakeOpenAIServer:
    def __init__(self, reply: Reply, model: str = "test-model") -> None:
        self.reply = reply
        self.model = model
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                server.requests.append(body)
                answer = server.reply(body)
                if isinstance(answer, tuple):
                    return self._send(*answer)
                finish = "stop"
                if isinstance(answer, dict):  # e.g. {"content": "...", "finish_reason": "length"}: a cut-off answer
                    answer, finish = answer["content"], answer.get("finish_reason", "stop")
                prompt_tokens = sum(len(m.get("content", "").split()) for m in body.get("messages", []))
                self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", server.model),
                    "choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": answer}}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(answer.split()),
                              "total_tokens": prompt_tokens + len(answer.split())},
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
