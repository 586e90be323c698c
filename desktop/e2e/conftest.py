"""The fixtures of the desktop end-to-end tests (harness.py holds what
they are built from)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.options import ArgOptions

from harness import APP, DRIVER, DesktopBus, World, free_port, wait_for


@pytest.fixture(scope="session")
def desktop_bus():
    assert os.environ.get("DBUS_SESSION_BUS_ADDRESS"), "run under dbus-run-session (see run.sh)"
    return DesktopBus()


@pytest.fixture(scope="session")
def notifications(desktop_bus):
    return desktop_bus.notifications


@pytest.fixture
def world(desktop_bus):
    root = Path(tempfile.mkdtemp(prefix="ferry-desktop-e2e-"))
    downloads = root / "Downloads"
    downloads.mkdir()
    home = root / "home"
    home.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        FERRY_DATA_DIR=str(root / "app-data"),
        FERRY_NAME="Studio",
        FERRY_RELAY="disabled",
        FERRY_BIND="127.0.0.1:0",
        FERRY_DOWNLOAD_DIR=str(downloads),
    )
    port, native_port = free_port(), free_port()
    driver_log = open(root / "tauri-driver.log", "w")
    driver_proc = subprocess.Popen(
        [DRIVER, "--port", str(port), "--native-port", str(native_port),
         "--native-driver", shutil.which("WebKitWebDriver") or "WebKitWebDriver"],
        env=env, stdout=driver_log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    wait_for("tauri-driver", lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True)
    options = ArgOptions()
    options.set_capability("tauri:options", {"application": APP})
    options.set_capability("browserName", "wry")
    # What the last test's app registered and showed is forgotten before
    # this one's app starts (it registers its tray icon at once).
    desktop_bus.notifications.shown.clear()
    desktop_bus.tray.items.clear()
    # On a busy machine the first session can fail while the app starts.
    for attempt in range(3):
        try:
            browser = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
            break
        except Exception as e:  # urllib3 wraps a dropped connection in its own error
            if attempt == 2:
                raise
            print(f"no WebDriver session yet ({e!r}); trying again")
            subprocess.run(["pkill", "-TERM", "-f", APP], check=False)
            time.sleep(3)
    try:
        yield World(browser, root, downloads, env)
    finally:
        try:
            browser.quit()
        except WebDriverException:
            pass  # the app has quit already
        # tauri-driver and the WebKitWebDriver it started, as one group.
        os.killpg(driver_proc.pid, 15)
        driver_proc.wait(10)
        # The app keeps running in the tray when its window closes; the
        # next test's app must not find it (one instance per user).
        subprocess.run(["pkill", "-TERM", "-f", APP], check=False)
        try:
            wait_for("the app to exit", lambda: subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode == 1, timeout=15)
        except AssertionError:
            subprocess.run(["pkill", "-KILL", "-f", APP], check=False)
        if not os.environ.get("FERRY_E2E_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
