"""Run the emulator as its own process (for benchmarks against a separate server).

    python -m tests.fakes.wb --port 8900 --reviews 200000 --seed 1 --no-limits

Prints ``WB emulator listening on http://127.0.0.1:PORT`` and then ``sid=<sid> token=<jwt>``
(a personal token with content, feedbacks, prices and chat), then serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.generator import generate_shop


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.wb", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--questions", type=int, default=2_000)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--no-limits", action="store_true", help="disable rate limits")
    parser.add_argument("--limit-scale", type=float, default=1.0, help="multiply limit rates")
    parser.add_argument("--scope-status", type=int, choices=(401, 403), default=401)
    parser.add_argument("--events-page-size", type=int, default=100)
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    shop = generate_shop(
        args.seed,
        reviews=args.reviews,
        products=args.products,
        questions=args.questions,
        chats=args.chats,
    )
    config = EmulatorConfig(
        limits_enabled=not args.no_limits,
        limit_scale=args.limit_scale,
        scope_error_status=args.scope_status,
        events_page_size=args.events_page_size,
    )
    emulator = WBEmulator(shop, config=config)
    url = await emulator.start(args.host, args.port)
    print(f"WB emulator listening on {url}", flush=True)
    print(f"sid={shop.sid} token={emulator.token()}", flush=True)
    print(
        f"generated {args.reviews} reviews in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_args(argv)))


if __name__ == "__main__":
    main()
