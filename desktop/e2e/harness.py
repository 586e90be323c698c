"""What the desktop end-to-end tests run on: the app under tauri-driver,
a `ferry` CLI node as the other device, and on the test's own D-Bus
session bus a notification server that records what the app shows and a
tray watcher (what a desktop panel runs) that reads and clicks the tray
icon's menu. The fixtures that put them together are in conftest.py.
"""

import asyncio
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, method
from selenium.common.exceptions import ElementNotInteractableException, WebDriverException
from selenium.webdriver.common.by import By

APP = os.environ["FERRY_DESKTOP_BIN"]
FERRY = os.environ["FERRY_BIN"]
DRIVER = os.environ["TAURI_DRIVER"]
SHOTS = os.environ.get("FERRY_SCREENSHOTS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (WebDriverException, OSError):
            pass
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def xdotool(*args):
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)


def pick_in_native_dialog(title, path):
    """Chooses PATH in the system's file dialog titled TITLE, as a person
    would from the keyboard: focus it, open the location entry, type the
    path, press Enter."""
    found = wait_for(f"the '{title}' dialog",
                     lambda: (r := xdotool("search", "--onlyvisible", "--name", title)).returncode == 0 and r.stdout.split())
    window = found[0]
    assert xdotool("windowfocus", "--sync", window).returncode == 0
    time.sleep(0.5)
    xdotool("key", "--clearmodifiers", "ctrl+l")
    time.sleep(0.3)
    xdotool("type", "--delay", "30", str(path))
    time.sleep(0.5)
    xdotool("key", "Return")
    wait_for(f"the '{title}' dialog to close",
             lambda: xdotool("search", "--onlyvisible", "--name", title).returncode != 0, timeout=20)


class Notifications(ServiceInterface):
    """The freedesktop notification service, recording what it is asked to show."""

    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.shown = []

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", icon: "s", summary: "s", body: "s",
               actions: "as", hints: "a{sv}", timeout: "i") -> "u":
        self.shown.append((summary, body))
        return len(self.shown)

    @method()
    def GetCapabilities(self) -> "as":
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["ferry-e2e", "ferry", "1", "1.2"]

    @method()
    def CloseNotification(self, id: "u"):
        pass


class TrayWatcher:
    """The StatusNotifierWatcher a desktop panel runs: tray icons register
    with it. It records who registered (the caller's bus name and the
    icon's object path), so that the test can read the icon's menu and
    click its items, as a panel would. Calls are answered from a message
    handler, which sees the caller's name."""

    def __init__(self):
        self.items = []

    def on_message(self, msg):
        if msg.message_type != MessageType.METHOD_CALL or msg.interface != "org.kde.StatusNotifierWatcher":
            return None
        if msg.member == "RegisterStatusNotifierItem":
            path = msg.body[0] if msg.body[0].startswith("/") else "/StatusNotifierItem"
            self.items.append((msg.sender, path))
        return Message.new_method_return(msg)


class DesktopBus:
    """The test's own services on the session bus: notifications and the
    tray watcher, served from a thread with its own event loop."""

    def __init__(self):
        self.notifications = Notifications()
        self.tray = TrayWatcher()
        self.loop = asyncio.new_event_loop()
        self.bus = None
        ready = threading.Event()

        async def serve():
            self.bus = await MessageBus().connect()
            self.bus.add_message_handler(self.tray.on_message)
            self.bus.export("/org/freedesktop/Notifications", self.notifications)
            await self.bus.request_name("org.freedesktop.Notifications")
            await self.bus.request_name("org.kde.StatusNotifierWatcher")
            ready.set()
            await asyncio.Event().wait()

        threading.Thread(target=lambda: self.loop.run_until_complete(serve()), daemon=True).start()
        assert ready.wait(20), "the session bus services did not start"

    def call(self, destination, path, interface, member, signature="", body=()):
        async def send():
            return await self.bus.call(Message(destination=destination, path=path, interface=interface,
                                               member=member, signature=signature, body=list(body)))
        reply = asyncio.run_coroutine_threadsafe(send(), self.loop).result(30)
        assert reply.message_type == MessageType.METHOD_RETURN, f"{member}: {reply.body}"
        return reply.body


class TrayIcon:
    """The app's tray icon as a panel sees it: its properties and its menu
    (com.canonical.dbusmenu), whose items the test clicks."""

    def __init__(self, bus, sender, path):
        self.bus, self.sender, self.path = bus, sender, path

    def prop(self, name):
        (value,) = self.bus.call(self.sender, self.path, "org.freedesktop.DBus.Properties", "Get",
                                 "ss", ["org.kde.StatusNotifierItem", name])
        return value.value

    def menu(self):
        """The top-level menu items as {label: (id, enabled)}; separators left out."""
        _, (_, _, children) = self.bus.call(self.sender, self.prop("Menu"), "com.canonical.dbusmenu",
                                            "GetLayout", "iias", [0, -1, []])
        items = {}
        for child in children:
            item_id, props, _ = child.value
            if "label" in props:
                label = props["label"].value.replace("_", "")
                items[label] = (item_id, props["enabled"].value if "enabled" in props else True)
        return items

    def click(self, label):
        item_id, enabled = self.menu()[label]
        assert enabled, f"{label} is disabled"
        self.bus.call(self.sender, self.prop("Menu"), "com.canonical.dbusmenu", "Event", "isvu",
                      [item_id, "clicked", Variant("i", 0), 0])


class World:
    def __init__(self, browser, root, downloads, env):
        self.browser = browser
        self.root = root
        self.downloads = downloads
        self.env = env
        self.home = Path(env["HOME"])

    def cli(self, *args, **kw):
        return subprocess.run(
            [FERRY, "--data-dir", str(self.root / "cli-data"), "--relay", "disabled",
             "--bind", "127.0.0.1:0", "--name", "Pixel 9", *args],
            capture_output=True, text=True, timeout=120, **kw,
        )

    def cli_start(self, *args):
        return subprocess.Popen(
            [FERRY, "--data-dir", str(self.root / "cli-data"), "--relay", "disabled",
             "--bind", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def find(self, testid):
        return self.browser.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def wait(self, testid, timeout=60):
        return wait_for(testid, lambda: self.find(testid), timeout)

    def click(self, testid):
        el = self.wait(testid)
        try:
            el.click()
        except ElementNotInteractableException:
            # Inputs drawn over by their styled switch (opacity 0) are not
            # "interactable" to WebDriver; click them as the page would.
            self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", el)

    toggle = click

    def page_has(self, text):
        return text in self.browser.page_source

    def pair_cli(self, from_tray=None):
        """Pairs the CLI by reading the window's QR code from a screenshot;
        the pairing dialog is opened from the Devices screen or, given a
        tray icon, from its menu."""
        if from_tray:
            from_tray.click("Pair a phone…")
        else:
            self.click("nav-devices")
            self.click("pair-phone")
        self.wait("pairing-qr")
        shot = self.root / "pairing.png"

        def read_and_join():
            # On a busy machine the code may still be drawing: shoot again.
            time.sleep(0.5)
            self.browser.save_screenshot(str(shot))
            joined = self.cli("--json", "pair", "--from-image", str(shot))
            if joined.returncode == 2 and "no QR code found" in joined.stderr:
                return None
            return joined

        joined = wait_for("a readable pairing QR code", read_and_join, timeout=60, every=0)
        assert joined.returncode == 0, joined.stderr
        events = [json.loads(l) for l in joined.stdout.splitlines() if l.startswith("{")]
        assert any(e.get("event") == "paired" for e in events), joined.stdout
        self.browser.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape closes the dialog
        wait_for("the CLI device in the list", lambda: self.page_has("Pixel 9"))
