"""Loopback emulator of the WB seller API for tests and benchmarks (see `app.WBEmulator`)."""

from tests.fakes.wb.app import HOSTS, WBEmulator
from tests.fakes.wb.context import EmulatorConfig, Stats
from tests.fakes.wb.faults import Faults
from tests.fakes.wb.generator import generate_shop
from tests.fakes.wb.limits import ManualClock
from tests.fakes.wb.state import SellerState
from tests.fakes.wb.tokens import make_token

__all__ = [
    "HOSTS",
    "EmulatorConfig",
    "Faults",
    "ManualClock",
    "SellerState",
    "Stats",
    "WBEmulator",
    "generate_shop",
    "make_token",
]
