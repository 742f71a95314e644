"""gunicorn settings for production (README, "Deploying"):

    .venv/bin/gunicorn -c citynet/gunicorn.conf.py citynet.wsgi

Options given on the command line win over these. Environment:

- WEB_CONCURRENCY: worker processes (default 2 × CPU cores + 1). Each handles one request
  at a time, so this is how many requests are served at once; the rest wait in the queue.
- GUNICORN_BIND: address to listen on (default 127.0.0.1:8000, for a proxy on the same host).
- GUNICORN_TIMEOUT: seconds a worker may spend on one request before it is killed and
  replaced (default 60: a streamed CSV of every membership takes a few seconds).
- GUNICORN_GRACEFUL_TIMEOUT: seconds the workers get, after SIGTERM, to finish the requests
  they are serving (default 30); new connections are no longer accepted. Give the process
  manager a longer stop timeout (systemd TimeoutStopSec, docker stop -t, Kubernetes
  terminationGracePeriodSeconds), or it kills the server first.
- GUNICORN_ACCESS_LOG: where to log each request ("-" for stdout); off by default, as Django
  writes an access line of its own (citynet/logs.py) and the proxy logs requests too.

gunicorn's own messages go to stderr, like Django's: as JSON lines where Django logs JSON
(DJANGO_LOG_FORMAT, else when DJANGO_DEBUG is off), so one stream reads with jq.
"""

import gc
import logging
import multiprocessing
import os
from pathlib import Path

from gunicorn.glogging import Logger

wsgi_app = "citynet.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
# Load Django once in the master, before forking: a broken configuration stops the start
# instead of every worker, and the workers share the loaded code's memory.
preload_app = True
# No limit on the request line: an API query may carry up to 100 values of each filter (up to
# 200 characters each), past gunicorn's default 4,094 bytes, which it refuses with an HTML 400.
# Django still bounds the number of parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS: a JSON 400).
limit_request_line = 0
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# gunicorn's usual line, with the request id that Django's log lines carry.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
errorlog = "-"


class JsonLogger(Logger):
    """gunicorn's logger, writing its records with Django's JSON formatter."""

    def setup(self, cfg):
        super().setup(cfg)
        from citynet.logs import JsonFormatter  # imported once gunicorn has put the project on sys.path

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())


debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
if (os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() or ("text" if debug else "json")) == "json":
    logger_class = JsonLogger
# Python's warnings (say, a missing static folder) as log records, in the same format as the rest.
logging.captureWarnings(True)
# Workers signal they are alive through a file; on tmpfs that never waits on a slow disk.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"


def when_ready(server):
    """The app is loaded (preload_app) and the workers are not forked yet: move everything
    loaded so far out of the garbage collector's sight (gc.freeze: it never changes, and the
    workers then share its pages instead of copying them as the collector touches them), and
    let the collector run less often while a page builds tens of thousands of objects (a
    cold page spent a fifth of its CPU time in collections)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
