"""gunicorn settings for `make serve` (Linux). The limits and why they are what they are live
in mediation/serving.py, shared with the waitress runner for Windows."""

from mediation import serving

wsgi_app = "mediation:create_app()"
bind = serving.bind()  # HOST:PORT, default 127.0.0.1:5000
workers = serving.workers()  # WEB_CONCURRENCY, else cores + 1
worker_class = "gthread"  # threads, so a request waiting on the database frees the CPU
threads = serving.THREADS
worker_connections = serving.WORKER_CONNECTIONS
timeout = serving.TIMEOUT
graceful_timeout = serving.GRACEFUL_TIMEOUT
keepalive = serving.KEEPALIVE
max_requests = serving.MAX_REQUESTS
max_requests_jitter = serving.MAX_REQUESTS_JITTER
# Each worker builds its own app: nothing is shared between processes but the database and
# the storage (README: Several app servers), so a recycled worker starts clean.
preload_app = False
# The app writes its own access line (mediation/operations.py: the path without the query
# string, the duration, the user); gunicorn's would repeat it with the query string.
accesslog = None
errorlog = "-"


def post_worker_init(worker) -> None:
    """Each worker, once it has built its app (mediation/serving.py says why)."""
    serving.settle_memory()
