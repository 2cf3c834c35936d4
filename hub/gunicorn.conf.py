"""gunicorn settings for the hub, shared by scripts/run and the systemd unit Ansible renders.

Threaded workers with ``preload`` (the app is imported once, workers share its memory pages);
the worker heartbeat lives in /dev/shm so an SD card is not written every second.
"""

import os

bind = os.environ.get(
    "HUB_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("HUB_WEB_WORKERS", "2"))
# Threaded workers (gthread) on both roles. A phone playing a video holds its connection (and
# the thread sending it, by sendfile, outside the GIL) for as long as it keeps buffering; with
# plain sync workers two phones would take both workers and the page requests would wait, and a
# sync worker busy streaming past ``timeout`` would be killed mid-video. Sixteen threads per
# worker leave room for twenty streams and the pages beside them (docs/elearning-courses.md,
# bench ``learn``); where more phones stream at once, nginx serves /media/ itself. The upstream
# also keeps villages' connections alive between the requests of a sync.
worker_class = "gthread"
threads = int(os.environ.get("HUB_WEB_THREADS", "16"))
preload_app = True
timeout = int(os.environ.get("HUB_WEB_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
# Recycle workers now and then against slow leaks, not so often that their caches never warm.
max_requests = int(os.environ.get("HUB_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs, by design
accesslog = os.environ.get("HUB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("HUB_LOG_LEVEL", "info").lower()
proc_name = "balai-web"
# gunicorn's runtime control socket is not used; several hubs (and tests) share a machine.
control_socket_disable = True


def when_ready(server):
    """Runs in the master once the app is preloaded, before any worker is forked."""
    from hub.core.warmup import warm_up_and_freeze

    warm_up_and_freeze()
