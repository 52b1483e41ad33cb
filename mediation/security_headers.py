"""Security headers on every response: a strict Content-Security-Policy (no inline script or
style anywhere; behaviour lives in static/js/app.js, looks in static/css/app.css), no
framing (so one-click buttons such as 结案 or 归档 cannot be clicked through a frame), no
content sniffing, no referrer leaving the site, and nothing with personal data in a cache."""

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that do not know frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    own = response.headers.get("Content-Security-Policy")
    for name, value in HEADERS.items():
        response.headers[name] = value
    if own:
        # A view's own, stricter policy (a stored upload is served sandboxed) is kept, and
        # such a response may not be framed either.
        if "frame-ancestors" not in own:
            own = f"{own}; frame-ancestors 'none'"
        response.headers["Content-Security-Policy"] = own
    if request.endpoint != "static":
        # Pages of signed-in users, downloads of documents and attachments and the resident
        # pages all carry personal data: no browser or proxy may keep a copy. The shipped
        # CSS, JavaScript and fonts may be cached.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.expires = None
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
