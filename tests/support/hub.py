"""A fake Hugging Face Hub on 127.0.0.1, answering resolve requests as huggingface.co does."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List, Tuple

from support.children import clean_env

#: The commit the fake Hub (and a cache laid out by ``scripts/populate_hub_cache.py``) names.
COMMIT = "1234567890abcdef1234567890abcdef12345678"

#: (method, path, Authorization header) of each request the Hub saw, in order.
Requests = List[Tuple[str, str, str]]
#: What the Hub serves: {repo id: {file name in the repo: local file}}.
HubFiles = Dict[str, Dict[str, Path]]


class FakeHub(BaseHTTPRequestHandler):
    """``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` as huggingface.co answers them (commit,
    etag and size headers), from ``files``; records each request's Authorization header."""

    files: ClassVar[HubFiles] = {}
    requests: ClassVar[Requests] = []

    def _answer(self, body: bool) -> None:
        """Answer the request from ``files`` (404 as the Hub's for anything else); ``body``: with the file."""
        parts = self.path.split("?")[0].strip("/").split("/")
        self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if len(parts) >= 5 and parts[2] == "resolve":
            repo, name = "/".join(parts[:2]), "/".join(parts[4:])
            source = self.files.get(repo, {}).get(name)
            if source is not None:
                data = Path(source).read_bytes()
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
        self.send_response(404)
        self.send_header("X-Error-Code", "EntryNotFound")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        """The headers of a file, as the Hub's ``HEAD`` gives them."""
        self._answer(body=False)

    def do_GET(self) -> None:
        """A file with its headers."""
        self._answer(body=True)

    def log_message(self, *args: Any) -> None:
        """Quiet: the requests are recorded, not logged."""


@contextlib.contextmanager
def running_hub(files: HubFiles) -> Iterator[Tuple[str, Requests]]:
    """A fake Hub serving ``files`` while the block runs: its URL and the requests it saw."""
    requests: Requests = []
    handler = type("Handler", (FakeHub,), {"files": files, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def hub_environment(endpoint: str, **extra: str) -> Dict[str, str]:
    """``clean_env`` that sends the Hub's requests to ``endpoint``, past any proxy."""
    env = clean_env(HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    env.update(extra)
    return env
