"""Run the stub by hand: `python -m tests.fakes.llm [--port N] [--latency S]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from tests.fakes.llm.stub import LLMStub


async def _main(port: int, latency: float) -> None:
    async with LLMStub(port=port, latency=latency) as stub:
        print(f"LLM stub on {stub.base_url} (DeepSeek style: {stub.root_url})", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.port, args.latency))


if __name__ == "__main__":
    main()
