"""``python -m webapp.sandbox --port 5055`` — run the sandbox on its own."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

from .faults import FaultRule, Faults, HangRule
from .seed import seed
from .server import demo_keys, start_sandbox
from .store import Clock, Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m webapp.sandbox", description="gigstack API v2 sandbox"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--scale", type=int, default=1, help="multiply the demo data")
    parser.add_argument(
        "--teams",
        type=int,
        default=int(os.environ.get("SANDBOX_TEAMS") or 0),
        metavar="N",
        help="add N sub-teams of the partner (default: SANDBOX_TEAMS, else 0)",
    )
    parser.add_argument(
        "--print-keys", action="store_true", help="print the demo keys as JSON and exit"
    )
    parser.add_argument(
        "--test-mode", action="store_true", help="enable the /_sandbox control endpoints"
    )
    parser.add_argument("--latency-ms", type=int, default=None)
    parser.add_argument("--jitter-ms", type=int, default=None)
    parser.add_argument("--error-rate", type=float, default=None)
    parser.add_argument("--error-status", type=int, default=None)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="METHOD:PATH:STATUS",
        help="answer STATUS to METHOD PATH (glob), e.g. GET:/clients*:503",
    )
    parser.add_argument(
        "--hang",
        action="append",
        default=[],
        metavar="METHOD:PATH:SECONDS",
        help="hold matching requests, e.g. POST:/invoices/income:30",
    )
    args = parser.parse_args(argv)

    if args.print_keys:
        store = Store(clock=Clock())
        seed(store, scale=1)
        print(json.dumps(demo_keys(store), indent=2))
        return 0

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.monotonic()
    if args.teams < 0:
        parser.error("--teams must be 0 or more")
    sandbox = start_sandbox(
        args.host, args.port, test_mode=args.test_mode, scale=args.scale, teams=args.teams
    )
    middleware = sandbox.app.extensions["sandbox_faults"]
    faults = middleware.faults
    try:
        for name in ("latency_ms", "jitter_ms", "error_rate", "error_status"):
            if getattr(args, name) is not None:
                setattr(faults, name, getattr(args, name))
        for spec in args.fault:
            method, path, status = spec.rsplit(":", 2)
            faults.rules.append(FaultRule(status=int(status), method=method, path=path))
        for spec in args.hang:
            method, path, seconds = spec.rsplit(":", 2)
            faults.hangs.append(HangRule(seconds=float(seconds), method=method, path=path))
        middleware.set(Faults.from_dict(faults.to_dict()))
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"gigstack sandbox on {sandbox.api_url} (seeded in {time.monotonic() - started:.1f}s)",
        flush=True,
    )
    print("demo keys: python -m webapp.sandbox --print-keys", flush=True)
    try:
        sandbox.thread.join()
    except KeyboardInterrupt:
        sandbox.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
