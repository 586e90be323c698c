#!/usr/bin/env python3
"""What the Python bindings cost over the core, with the package built for
release (`pip install ./bindings/python`).

Measures, on loopback with relays off:
- a synchronous call that reads the database (`devices()`), and one that
  returns a string (`id()`): median over 2,000 calls;
- an async round trip (`await collections()` on a node with none): median
  over 500 calls;
- receiving a 1 GiB file shared by a second node in the same process,
  through the bindings, with an event listener attached: MiB/s, best of 3.

Usage: python3 bench/bindings.py   (prints a Markdown table)
"""

import os
import sys

# bench/collections.py would shadow the standard library's `collections`.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import asyncio  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import ferry  # noqa: E402

GIB = 1 << 30


class Count(ferry.EventListener):
    def __init__(self):
        self.events = 0

    def on_event(self, event):
        self.events += 1


async def start(root, name):
    return await ferry.FerryNode.start(ferry.FerryConfig(
        data_dir=os.path.join(root, name), device_name=name, relay="disabled",
        bind_addr="127.0.0.1:0"))


def median_us(samples):
    return statistics.median(samples) * 1e6


async def main():
    with tempfile.TemporaryDirectory(prefix="ferry-bench-bindings-") as root:
        a = await start(root, "a")
        b = await start(root, "b")
        try:
            sync_db, sync_str, round_trip = [], [], []
            for _ in range(2000):
                t = time.perf_counter(); a.devices(); sync_db.append(time.perf_counter() - t)
                t = time.perf_counter(); a.id(); sync_str.append(time.perf_counter() - t)
            for _ in range(500):
                t = time.perf_counter(); await a.collections(); round_trip.append(time.perf_counter() - t)

            src = os.path.join(root, "big.bin")
            block = os.urandom(1 << 20)
            with open(src, "wb") as f:
                for _ in range(GIB >> 20):
                    f.write(block)
            share = await a.share([src], None)
            counter = Count()
            subscription = b.subscribe(counter)
            rates = []
            for run in range(3):
                out = os.path.join(root, f"out{run}")
                t = time.perf_counter()
                summary = await b.receive(share.ticket, out)
                rates.append(summary.bytes / (1 << 20) / (time.perf_counter() - t))
            subscription.cancel()
        finally:
            await a.shutdown()
            await b.shutdown()

    print("| measure | result |")
    print("|---|---|")
    print(f"| sync call, `id()` | {median_us(sync_str):.1f} µs |")
    print(f"| sync call, `devices()` (SQLite read) | {median_us(sync_db):.1f} µs |")
    print(f"| async round trip, `await collections()` | {median_us(round_trip):.1f} µs |")
    print(f"| receive 1 GiB through the bindings (best of 3) | {max(rates):.0f} MiB/s |")
    print(f"| events delivered to the Python listener during the 3 receives | {counter.events} |")


asyncio.run(main())
