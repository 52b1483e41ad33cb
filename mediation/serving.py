"""How the app is served in production: the limits, in one place, for gunicorn on Linux
(gunicorn.conf.py reads them) and waitress on Windows (`python -m mediation.serving`, what
`make serve-waitress` runs). Each limit says what it is set for.

The slowest legitimate request sets the timeouts: a county's year of statistics and its
.xlsx over a province's cases (tens of seconds before issue 15's work on them, and the
figure to keep a margin over), and archiving a case whose 卷宗 binds dozens of scanned
pages. A timeout below that turns the real work into a 500; far above it, a stuck request
holds its worker for nothing."""

import gc
import os

# Seconds a request may run before the server gives up on it (gunicorn kills a worker whose
# main loop is silent this long; the gthread worker's loop keeps beating while a request
# runs, so in practice this bounds a worker that hangs outright).
TIMEOUT = 120
# Seconds a worker gets to finish its requests on a restart or a recycle before it is killed:
# enough for the slowest page, so a deploy never cuts a statistics export in half.
GRACEFUL_TIMEOUT = 120
# Recycle a worker after this many requests (plus up to JITTER, so the workers do not all
# restart at once): a statistics request over a year of a county peaked at 1.3–1.6 GB and
# kept 450–650 MB afterwards; recycling gives that memory back to the system.
MAX_REQUESTS = 1000
MAX_REQUESTS_JITTER = 200
# Threads per gunicorn worker: a request waiting on the database leaves the CPU to another.
# More would only queue CPU-bound pages behind each other (issue 15: the cost is CPU per
# request, not waiting).
THREADS = 4
# Connections one worker keeps open (keep-alive clients included). Waitress's default of 100
# let the 101st keep-alive client wait forever; a county office behind one proxy opens many.
WORKER_CONNECTIONS = 1000
# Seconds an idle keep-alive connection is kept before it is closed, freeing its slot.
KEEPALIVE = 5
# Waitress (Windows): one process, so its connection limit is the whole server's, and idle
# connections are closed after CHANNEL_TIMEOUT seconds (a request being worked on is not
# idle: a slow page is never cut by it).
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30
WAITRESS_THREADS = 8


def workers() -> int:
    """WEB_CONCURRENCY, else one worker per core plus one: pages cost CPU, and a process per
    core uses them all (threads of one process share one interpreter lock)."""
    given = os.environ.get("WEB_CONCURRENCY")
    return int(given) if given else (os.cpu_count() or 1) + 1


def bind() -> str:
    return f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"


def settle_memory() -> None:
    """Once the app is built, in each serving process: what exists then (modules, the app,
    SQLAlchemy's mappers, some 200,000 objects) is set aside from the garbage collector
    (gc.freeze). Its full passes otherwise walk all of it every few dozen requests, 150 ms
    each on the bench machine, a few milliseconds added to every request on average."""
    gc.collect()
    gc.freeze()


def serve_waitress() -> None:
    """Serve with waitress on HOST:PORT (THREADS threads), with the limits above."""
    import waitress

    from mediation import create_app

    app = create_app()
    settle_memory()
    waitress.serve(
        app,
        listen=bind(),
        threads=int(os.environ.get("THREADS") or WAITRESS_THREADS),
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
    )


if __name__ == "__main__":
    serve_waitress()
