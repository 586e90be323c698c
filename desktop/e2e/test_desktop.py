"""The desktop app end to end, in a real WebKitGTK window under Xvfb.

tauri-driver (with WebKitWebDriver) starts the built app on a temp data
dir; a `ferry` CLI node plays the other device:
- pairing: the test screenshots the window while it shows its pairing QR,
  `ferry pair --from-image` decodes it and joins, and the CLI device
  appears in the app's device list;
- push: the CLI pushes a file, the offer card appears, the test clicks
  Accept, and the file lands byte-identical in the download folder.

Needs (see desktop/e2e/run.sh, which provides them): FERRY_DESKTOP_BIN,
FERRY_BIN, TAURI_DRIVER, a DISPLAY.
"""

import json
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
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions

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


@pytest.fixture
def world():
    root = Path(tempfile.mkdtemp(prefix="ferry-desktop-e2e-"))
    downloads = root / "Downloads"
    downloads.mkdir()
    env = dict(
        os.environ,
        FERRY_DATA_DIR=str(root / "app-data"),
        FERRY_NAME="desk",
        FERRY_RELAY="disabled",
        FERRY_BIND="127.0.0.1:0",
        FERRY_DOWNLOAD_DIR=str(downloads),
    )
    port = free_port()
    driver_log = open(root / "tauri-driver.log", "w")
    driver_proc = subprocess.Popen(
        [DRIVER, "--port", str(port), "--native-driver", shutil.which("WebKitWebDriver") or "WebKitWebDriver"],
        env=env, stdout=driver_log, stderr=subprocess.STDOUT,
    )
    wait_for("tauri-driver", lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True)
    options = ArgOptions()
    options.set_capability("tauri:options", {"application": APP})
    options.set_capability("browserName", "wry")
    browser = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
    try:
        yield browser, root, downloads
    finally:
        browser.quit()
        driver_proc.terminate()
        driver_proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def cli(root, *args, **kw):
    return subprocess.run(
        [FERRY, "--data-dir", str(root / "cli-data"), "--relay", "disabled",
         "--bind", "127.0.0.1:0", "--name", "laptop-cli", *args],
        capture_output=True, text=True, timeout=120, **kw,
    )


def click(browser, testid):
    wait_for(testid, lambda: browser.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')).click()


def shoot(browser, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def test_pair_by_screenshot_then_accept_a_push(world):
    browser, root, downloads = world

    # Pairing: the window shows its QR code; the CLI reads it from a screenshot.
    click(browser, "nav-devices")
    click(browser, "pair-phone")
    wait_for("the pairing QR", lambda: browser.find_element(By.CSS_SELECTOR, '[data-testid="pairing-qr"]'))
    time.sleep(0.5)
    shot = root / "pairing.png"
    browser.save_screenshot(str(shot))
    joined = cli(root, "--json", "pair", "--from-image", str(shot))
    assert joined.returncode == 0, joined.stderr
    assert any(json.loads(l).get("event") == "paired" for l in joined.stdout.splitlines() if l.startswith("{"))
    wait_for("the CLI device in the list", lambda: "laptop-cli" in browser.page_source)

    # Push: the offer appears, the test accepts, the file lands.
    payload = root / "report.bin"
    payload.write_bytes(os.urandom(3_000_000))
    pushing = subprocess.Popen(
        [FERRY, "--data-dir", str(root / "cli-data"), "--relay", "disabled", "--bind", "127.0.0.1:0",
         "push", "desk", str(payload)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    click(browser, "nav-inbox")
    wait_for("the offer card", lambda: browser.find_element(By.CSS_SELECTOR, '[data-testid="offer-card"]'))
    assert "report.bin" in browser.page_source
    click(browser, "offer-accept")
    out, err = pushing.communicate(timeout=120)
    assert pushing.returncode == 0, err
    landed = wait_for("the file", lambda: (downloads / "report.bin").exists() and downloads / "report.bin")
    assert landed.read_bytes() == payload.read_bytes()
