"""A harness for simultaneous requests: the real app under waitress (8 threads, as served),
browsers with their own sessions over urllib, and a barrier so that N requests leave at the
same moment."""

import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

import waitress

THREADS = 8


class LiveServer:
    """The app served by waitress on a free port, in a background thread."""

    def __init__(self, app):
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=THREADS)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


@dataclass
class Answer:
    status: int
    location: str
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the caller sees the 302 itself


class Browser:
    """One person's browser: a cookie jar (their session) and no automatic redirects."""

    def __init__(self, server: LiveServer):
        self.base = server.url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def open(self, path: str, data: dict | None = None, files: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if files:
            body, kind = _multipart(data or {}, files)
            request = urllib.request.Request(self.base + path, data=body)
            request.add_header("Content-Type", kind)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            status, headers, raw = error.code, error.headers, error.read()
        location = (headers.get("Location") or "").removeprefix(self.base)
        return Answer(status, location, raw.decode("utf-8", "replace"))

    def get(self, path: str) -> Answer:
        return self.open(path)

    def post(self, path: str, data: dict) -> Answer:
        return self.open(path, data)

    def upload(self, path: str, data: dict, files: dict) -> Answer:
        """files: {field: (filename, bytes)}, posted as multipart/form-data."""
        return self.open(path, data, files)

    def csrf_token(self, path: str = "/login") -> str:
        page = self.get(path).body
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, username: str, password: str = "secret123") -> "Browser":
        token = self.csrf_token()
        answer = self.post(
            "/login", {"username": username, "password": password, "csrf_token": token}
        )
        assert answer.status == 302, answer.body[:500]
        self.csrf = self.csrf_token("/password")
        return self


def _multipart(data: dict, files: dict) -> tuple[bytes, str]:
    boundary = f"----harness{secrets.token_hex(12)}"
    parts = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def at_once(calls) -> list:
    """Run the calls in threads released together by a barrier; their results in order.
    An exception in a call is returned in its place."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def statuses(answers) -> dict[int, int]:
    """{status: how many}, exceptions counted under 0."""
    found: dict[int, int] = {}
    for a in answers:
        key = a.status if isinstance(a, Answer) else 0
        found[key] = found.get(key, 0) + 1
    return found
