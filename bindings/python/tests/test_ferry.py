"""The Python bindings against the real core: nodes on loopback in one process."""

import asyncio
import os

import pytest

import ferry
from conftest import Collector, start


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 180))


def write(path, size, seed=1):
    data = bytes((i * 31 + seed) % 251 for i in range(size))
    path.write_bytes(data)
    return data


def test_two_nodes_exchange_a_share_with_progress_events(tmp):
    async def main():
        laptop = await start(tmp, "laptop")
        phone = await start(tmp, "phone")
        try:
            src = tmp()
            data = write(src / "photo.jpg", 2_000_000)
            share = await laptop.share([str(src / "photo.jpg")], "hello")
            assert share.files == 1 and share.bytes == 2_000_000

            incoming = await phone.open_ticket(share.ticket)
            info = incoming.info()
            assert info.sender == laptop.id()
            assert [e.name for e in info.entries] == ["photo.jpg"]
            assert info.text == "hello"

            events = Collector(asyncio.get_running_loop())
            subscription = phone.subscribe(events)
            out = tmp()
            summary = await incoming.receive(str(out))
            assert summary.files == 1 and summary.bytes == 2_000_000
            assert (out / "photo.jpg").read_bytes() == data
            last = await events.next(
                ferry.Event.RECEIVE_PROGRESS, lambda e: e.bytes_done == e.bytes_total
            )
            assert last.bytes_total == 2_000_000
            subscription.cancel()

            history = phone.history(5)
            assert history[0].state == ferry.TransferState.COMPLETE
            assert history[0].direction == ferry.TransferDirection.RECEIVE
        finally:
            await laptop.shutdown()
            await phone.shutdown()

    run(main())


def test_pair_then_push_accepted_and_rejected(tmp):
    async def main():
        phone = await start(tmp, "phone")
        laptop = await start(tmp, "laptop")
        try:
            ticket = await laptop.start_pairing(60)
            joined = await phone.join(ticket)
            assert joined.id == laptop.id() and joined.name == "laptop"
            assert [d.name for d in laptop.devices()] == ["phone"]

            inbox = tmp()
            laptop.set_inbox(ferry.AcceptPolicy.ASK, str(inbox))
            events = Collector(asyncio.get_running_loop())
            subscription = laptop.subscribe(events)

            src = tmp()
            data = write(src / "notes.txt", 5_000)
            push = asyncio.create_task(phone.push("laptop", [str(src / "notes.txt")], None))
            offer = await events.next(ferry.Event.OFFER_RECEIVED)
            assert offer.sender.name == "phone" and offer.names == ["notes.txt"]
            assert laptop.respond(offer.offer_id, True)
            summary = await push
            assert summary.files == 1
            assert (inbox / "notes.txt").read_bytes() == data

            push = asyncio.create_task(phone.push("laptop", [], "https://example.org/x"))
            offer = await events.next(ferry.Event.OFFER_RECEIVED)
            assert offer.text == "https://example.org/x"
            assert laptop.respond(offer.offer_id, False)
            with pytest.raises(ferry.FerryError.Rejected) as e:
                await push
            assert "declined" in str(e.value)
            del subscription
        finally:
            await laptop.shutdown()
            await phone.shutdown()

    run(main())


def test_a_cancelled_task_cancels_the_transfer(tmp):
    async def main():
        laptop = await start(tmp, "laptop")
        phone = await start(tmp, "phone")
        try:
            src = tmp()
            block = os.urandom(1 << 20)
            with open(src / "video.bin", "wb") as f:
                for _ in range(256):
                    f.write(block)
            share = await laptop.share([str(src / "video.bin")], None)
            events = Collector(asyncio.get_running_loop())
            subscription = phone.subscribe(events)
            out = tmp()
            receiving = asyncio.create_task(phone.receive(share.ticket, str(out)))
            await events.next(ferry.Event.RECEIVE_PROGRESS, lambda e: e.bytes_done > 0)
            receiving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await receiving
            subscription.cancel()

            assert not (out / "video.bin").exists()
            row = phone.history(1)[0]
            assert row.state == ferry.TransferState.FAILED and "cancelled" in row.error

            summary = await phone.receive(share.ticket, str(out))
            assert summary.bytes == 256 << 20
            assert (out / "video.bin").stat().st_size == 256 << 20
        finally:
            await laptop.shutdown()
            await phone.shutdown()

    run(main())


def test_errors_are_typed(tmp):
    async def main():
        phone = await start(tmp, "phone")
        try:
            with pytest.raises(ferry.FerryError.InvalidInput):
                await phone.receive("not a ticket", str(tmp()))
            with pytest.raises(ferry.FerryError.InvalidInput):
                await phone.join("ferryblob")
            with pytest.raises(ferry.FerryError.NotFound):
                phone.rename_device("nobody", "x")
            with pytest.raises(ferry.FerryError.Storage) as e:
                await ferry.FerryNode.start(
                    ferry.FerryConfig(data_dir=phone.data_dir(), relay="disabled", bind_addr="127.0.0.1:0")
                )
            assert "in use" in str(e.value)
        finally:
            await phone.shutdown()

    run(main())


def test_a_push_to_a_device_that_is_off_is_queued_not_failed(tmp):
    async def main():
        laptop = await start(tmp, "laptop")
        phone = await start(tmp, "phone")
        try:
            await phone.join(await laptop.start_pairing(60))
            await laptop.shutdown()
            # push alone says the device is offline, its own kind ...
            with pytest.raises(ferry.FerryError.Offline):
                await phone.push("laptop", [], "call me")
            # ... and push_or_queue leaves it in the outbox instead.
            outcome = await phone.push_or_queue("laptop", [], "call me", None)
            assert isinstance(outcome, ferry.PushOutcome.QUEUED)
            assert outcome.item.text == "call me"
            assert outcome.item.status == ferry.OutboxStatus.WAITING
            assert "laptop" in outcome.reason
            assert [i.id for i in phone.outbox()] == [outcome.item.id]
        finally:
            await phone.shutdown()

    run(main())


def test_a_phone_joins_a_collection_without_a_folder_and_fetches_a_file(tmp):
    async def main():
        laptop = await start(tmp, "laptop")
        phone = await start(tmp, "phone")
        try:
            await phone.join(await laptop.start_pairing(60))
            folder = tmp()
            (folder / "2026").mkdir()
            data = write(folder / "2026" / "beach.jpg", 300_000)
            write(folder / "notes.txt", 1_000, seed=2)
            created = await laptop.create_collection("Photos", str(folder))
            assert created.files == 2
            await laptop.start_collections()
            await phone.start_collections()

            # Not accepted at once: the invitation waits on the phone.
            assert await laptop.invite("Photos", phone.id()) is False
            assert [i.name for i in phone.invites()] == ["Photos"]
            joined = await phone.accept_invite("Photos", None)
            assert joined.dir is None

            async def listed():
                while True:
                    files = await phone.collection_files("Photos")
                    if len(files) == 2:
                        return files
                    await asyncio.sleep(0.2)

            files = await asyncio.wait_for(listed(), 60)
            assert sorted(f.path for f in files) == ["2026/beach.jpg", "notes.txt"]
            assert not any(f.local for f in files)

            out = tmp() / "beach.jpg"
            size = await phone.fetch_file("Photos", "2026/beach.jpg", str(out))
            assert size == 300_000 and out.read_bytes() == data
            status = await phone.collection_status("Photos")
            assert {m.name for m in status.members} == {"laptop", "phone"}
            # History on the laptop: 30 days and 10 % by default, set per
            # collection; the phone's history lists what it holds.
            assert (await laptop.collection_status("Photos")).keep == ferry.KeepPolicy(
                days=30, max_percent=10, max_bytes=None
            )
            week = ferry.KeepPolicy(days=7, max_percent=None, max_bytes=2 << 30)
            assert await laptop.set_keep("Photos", week) == week
            status = await laptop.collection_status("Photos")
            assert status.keep == week and status.kept_bytes == 0
            with pytest.raises(ferry.FerryError.InvalidInput):
                await laptop.set_keep("Photos", ferry.KeepPolicy(days=7, max_percent=0, max_bytes=None))
            [version] = await phone.file_history("Photos", "notes.txt")
            assert version.current and not version.here
            [version] = await laptop.file_history("Photos", "notes.txt")
            assert version.current and version.here
            with pytest.raises(ferry.FerryError.NotFound):
                await phone.collection_status("Nope")
        finally:
            await laptop.shutdown()
            await phone.shutdown()

    run(main())


def test_network_settings_are_checked_and_the_network_check_reports(tmp):
    async def main():
        # The same checks a settings screen uses.
        assert ferry.discovery_problem("dns.example") is not None
        assert ferry.discovery_problem("http://192.168.1.2:8080/pkarr") is None
        assert ferry.relay_problem("http://10.0.0.1:3340, https://relay.example") is None
        # A node refuses a discovery URL it cannot use, and a certificate
        # file that is not there, as bad input.
        for bad in [dict(discovery="http://"), dict(trust_cert=str(tmp() / "missing.pem"))]:
            with pytest.raises(ferry.FerryError.InvalidInput):
                await ferry.FerryNode.start(
                    ferry.FerryConfig(
                        data_dir=str(tmp()), relay="disabled", bind_addr="127.0.0.1:0", **bad
                    )
                )
        laptop = await start(tmp, "laptop")
        phone = await start(tmp, "phone")
        try:
            await phone.join(await laptop.start_pairing(60))
            check = await phone.check_network()
            # Relays off: nothing to measure with, and the verdict says so.
            assert check.relays == []
            assert check.discovery_service == "off"
            assert check.discovery_working is None
            assert check.udp is None
            assert check.nat == ferry.NatBehaviour.UNKNOWN
            assert check.verdict == ferry.VerdictKind.LIMITED
            assert check.verdict_message.startswith("Relays are off")
            [laptop_health] = check.devices
            assert laptop_health.device.name == "laptop"
            assert laptop_health.online
            assert laptop_health.route == ferry.Route.LOCAL
        finally:
            await phone.shutdown()
            await laptop.shutdown()

    run(main())
