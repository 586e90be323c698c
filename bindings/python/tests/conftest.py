"""Helpers for the tests: nodes on loopback and an event collector."""

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

import ferry


class Collector(ferry.EventListener):
    """Hands the node's events (delivered on a Ferry thread) to an asyncio queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()

    def on_event(self, event):
        self.loop.call_soon_threadsafe(self.queue.put_nowait, event)

    async def next(self, kind, check=lambda e: True, timeout=60):
        """The next event of type `kind` that passes `check`."""

        async def wait():
            while True:
                event = await self.queue.get()
                if isinstance(event, kind) and check(event):
                    return event

        return await asyncio.wait_for(wait(), timeout)


@pytest.fixture
def tmp():
    """A temp folder factory, all removed afterwards."""
    made = []

    def make(prefix="ferry-py-"):
        path = Path(tempfile.mkdtemp(prefix=prefix))
        made.append(path)
        return path

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


async def start(tmp, name):
    return await ferry.FerryNode.start(
        ferry.FerryConfig(
            data_dir=str(tmp(f"ferry-py-{name}-")),
            device_name=name,
            relay="disabled",
            bind_addr="127.0.0.1:0",
        )
    )
