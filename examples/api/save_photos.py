#!/usr/bin/env python3
"""Save the photos one paired phone sends into a folder, automatically.

Drives a running Ferry node (`ferry listen`, or the desktop app) through
its local JSON-RPC API, with nothing but the Python standard library:

    python3 save_photos.py --phone "Pixel 9" --into ~/Pictures/Phone

The node is switched to ask about offers. An offer from that phone that
holds only photos is accepted into the folder; anything else is left
waiting for you to answer (in the app, or with `transfers.accept`).
The API's reference is docs/api.md.
"""

import argparse
import http.client
import json
import os
import socket
import sys
from pathlib import Path

PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".gif", ".dng", ".avif"}


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the node's Unix socket."""

    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Ferry:
    """A running node's API, found from its data dir."""

    def __init__(self, data_dir):
        data_dir = Path(data_dir)
        try:
            self.endpoint = json.loads((data_dir / "api.json").read_text())
            self.token = (data_dir / "api-token").read_text().strip()
        except FileNotFoundError:
            sys.exit(f"no Ferry node is running for {data_dir}: start `ferry listen` or the app")

    def _connection(self, timeout=None):
        socket_path = self.endpoint.get("socket")
        if socket_path and hasattr(socket, "AF_UNIX"):
            return _UnixConnection(socket_path, timeout)
        host, port = self.endpoint["http"].rsplit(":", 1)
        return http.client.HTTPConnection(host, int(port), timeout=timeout)

    def call(self, method, **params):
        connection = self._connection(timeout=60)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        connection.request("POST", "/rpc", body, {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
        })
        answer = json.loads(connection.getresponse().read() or b"{}")
        connection.close()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']['message']}")
        return answer["result"]

    def events(self):
        """The node's events, one dict at a time, as they happen."""
        connection = self._connection()
        connection.request("GET", "/events", headers={"Authorization": f"Bearer {self.token}"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"the event stream was refused: HTTP {response.status}")
        data = []
        while True:
            line = response.readline()
            if not line:
                return
            line = line.decode("utf-8").rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif not line and data:
                yield json.loads("\n".join(data))
                data = []


def default_data_dir():
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home()))
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "ferry"


def only_photos(offer):
    names = offer["names"]
    return (
        offer["files"] > 0
        and not offer.get("text")
        and len(names) == offer["files"]
        and all(Path(n).suffix.lower() in PHOTO_TYPES for n in names)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phone", required=True, help="the paired phone's name (or the start of it)")
    parser.add_argument("--into", required=True, type=Path, help="the folder photos go into")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("FERRY_DATA_DIR") or default_data_dir()),
                        help="the running node's data dir (default: Ferry's)")
    parser.add_argument("--once", action="store_true", help="stop after the first photos are saved")
    args = parser.parse_args()

    ferry = Ferry(args.data_dir)
    wanted = args.phone.casefold()
    phones = [d for d in ferry.call("devices.list")
              if d["name"].casefold() == wanted or d["name"].casefold().startswith(wanted)]
    if len(phones) != 1:
        sys.exit(f"{len(phones)} paired devices match {args.phone!r}; use more of the name")
    phone = phones[0]
    if phone["auto_accept"]:
        print(f"note: auto-accept is on for {phone['name']}, so its offers go to the download folder "
              "without asking; turn it off (devices.set_auto_accept) to sort them here", file=sys.stderr)
    into = args.into.expanduser().resolve()
    into.mkdir(parents=True, exist_ok=True)

    events = ferry.events()  # subscribe first: no offer slips by
    ferry.call("node.set_settings", accept="ask")
    print(f"Saving photos from {phone['name']} into {into}. Ctrl-C to stop.", flush=True)
    ours = set()
    try:
        for event in events:
            kind = event["event"]
            if kind == "offer_received" and event["from"]["id"] == phone["id"]:
                if only_photos(event):
                    ferry.call("transfers.accept", offer_id=event["offer_id"], out=str(into))
                    ours.add(event["offer_id"])
                    print(f"Receiving {event['files']} photo(s) from {phone['name']}…", flush=True)
                else:
                    print(f"{phone['name']} offers something else; left for you to answer.", flush=True)
            elif kind == "offer_done" and event["offer_id"] in ours:
                print(f"Saved {event['files']} photo(s) into {event['out']}.", flush=True)
                if args.once:
                    return
            elif kind == "offer_failed" and event["offer_id"] in ours:
                print(f"Receiving failed: {event['message']}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
