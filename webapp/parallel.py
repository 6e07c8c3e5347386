"""Independent upstream calls of one page, made at once on one pool per process.

A pool per view would cost a thread start per call; this one is shared and sized for the
server's threads. Each task runs in a copy of the caller's context, so the request id and the
request's timing follow the call into the pool thread.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_pool = ThreadPoolExecutor(
    max_workers=int(os.environ.get("PARALLEL_THREADS", "32")), thread_name_prefix="upstream"
)


def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """Run ``fn`` on the shared pool in a copy of the current context."""
    context = contextvars.copy_context()
    return _pool.submit(context.run, fn, *args, **kwargs)


def gather(*calls: Callable[[], Any]) -> list[Any]:
    """Run zero-argument calls at once; their results in order (the first error is raised)."""
    futures = [submit(call) for call in calls]
    return [future.result() for future in futures]
