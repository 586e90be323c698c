"""The desktop app end to end, in a real WebKitGTK window under Xvfb.

tauri-driver (with WebKitWebDriver) starts the built app on a temp data
dir and a temp home; a `ferry` CLI node plays the other device. On the
test's own D-Bus session bus, a notification server records what the app
shows and a tray watcher (what a desktop panel runs) lets the test read
the tray icon's menu and click it. The tests:
- pairing: the window shows its pairing QR, the test screenshots it,
  `ferry pair --from-image` decodes it and joins, and the CLI device
  appears in the app's device list;
- push: the CLI pushes a file, the offer card appears and a notification
  is shown, the test clicks Accept, and the file lands byte-identical;
- tray: the icon registers, its menu shows the status and the quick
  actions; "Pair a phone…" opens the pairing QR, the status counts a
  waiting offer, "Inbox" shows it, "Quit Ferry" ends the app;
- native dialogs: "Choose files" opens the system's file dialog, the test
  picks a file in it from the keyboard (xdotool), shares it by QR, and the
  CLI receives it byte-identical;
- local API: the app serves it (token file 0600); pairing started through
  it lets the CLI join and the window lists the device; `ferry devices` on
  the app's data dir goes through the running app;
- links: a second launch with a `ferry://` link exits at once and hands
  the link to the running app, which opens the share; Receive lands it;
- settings: start at login writes (and removes) the autostart entry, a new
  relay asks for a restart; a discovery server and a certificate picked in
  the native dialog are checked as typed, saved, and ask for a restart;
- collections: a collection made through the app's API opens in the
  window, and its "Old versions" choices set how much history this device
  keeps (the CLI reads the policy back; off disables the size limit);
- network check: the doctor's verdict (relays off), the findings and the
  paired device, screenshotted in both themes;
- screenshots: every screen in the light and the dark theme.

Needs (see desktop/e2e/run.sh, which provides them): FERRY_DESKTOP_BIN,
FERRY_BIN, TAURI_DRIVER, a DISPLAY and a D-Bus session bus.
"""

import http.client
import json
import os
import struct
import subprocess
import time
import zlib
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import APP, FERRY, SHOTS, TrayIcon, pick_in_native_dialog, wait_for


def test_pair_by_screenshot_then_accept_a_push(world, notifications):
    world.pair_cli()

    payload = world.root / "report.bin"
    payload.write_bytes(os.urandom(3_000_000))
    pushing = world.cli_start("push", "Studio", str(payload))
    world.click("nav-inbox")
    world.wait("offer-card")
    assert world.page_has("report.bin")
    wait_for("the offer notification", lambda: notifications.shown)
    assert notifications.shown[0][0] == "Pixel 9 wants to send you report.bin"
    # A reloaded window still shows the offer: the node holds it, not the page.
    world.browser.refresh()
    world.click("nav-inbox")
    world.wait("offer-card")
    assert world.page_has("report.bin")
    world.click("offer-accept")
    out, err = pushing.communicate(timeout=120)
    assert pushing.returncode == 0, err
    landed = wait_for("the file", lambda: (world.downloads / "report.bin").exists() and world.downloads / "report.bin")
    assert landed.read_bytes() == payload.read_bytes()
    wait_for("the arrival notification", lambda: len(notifications.shown) >= 2)
    assert notifications.shown[1][0] == "Received report.bin from Pixel 9"


def test_a_ferry_link_reaches_the_running_app_and_opens_the_share(world):
    payload = world.root / "holiday.jpg"
    payload.write_bytes(os.urandom(1_500_000))
    sharing = world.cli_start("--json", "send", str(payload))
    try:
        line = wait_for("the share ticket", lambda: sharing.stdout.readline())
        ticket = json.loads(line)["ticket"]
        world.wait("nav-home")
        second = subprocess.run([APP, f"ferry://{ticket}"], env=world.env, capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        world.wait("ticket-dialog")
        wait_for("the share's contents", lambda: world.page_has("holiday.jpg"))
        world.click("ticket-receive")
        landed = world.downloads / "holiday.jpg"
        wait_for("the file", lambda: landed.exists() and landed.stat().st_size == 1_500_000)
        assert landed.read_bytes() == payload.read_bytes()
    finally:
        sharing.terminate()
        sharing.wait(10)


def test_the_tray_shows_the_status_and_its_menu_drives_the_app(world, desktop_bus):
    registered = wait_for("the tray icon to register", lambda: desktop_bus.tray.items)
    icon = TrayIcon(desktop_bus, *registered[-1])
    assert icon.prop("Status") == "Active"
    items = wait_for("the tray menu", lambda: (m := icon.menu()) and "Quit Ferry" in m and m)
    assert items["Ready to receive"] == (items["Ready to receive"][0], False)
    for action in ("Open Ferry", "Send files…", "Pair a phone…", "Inbox", "Quit Ferry"):
        assert items[action][1], action

    world.wait("nav-home")  # the window listens for the tray's requests once it has loaded
    world.pair_cli(from_tray=icon)
    payload = world.root / "notes.txt"
    payload.write_bytes(os.urandom(200_000))
    pushing = world.cli_start("push", "Studio", str(payload))
    wait_for("the status to count the offer", lambda: "1 offer waiting" in icon.menu())
    world.click("nav-home")
    icon.click("Inbox")
    world.click("offer-accept")
    assert pushing.wait(120) == 0
    wait_for("the status to settle", lambda: "Ready to receive" in icon.menu())
    assert (world.downloads / "notes.txt").read_bytes() == payload.read_bytes()

    icon.click("Quit Ferry")
    wait_for("the app to quit", lambda: subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode == 1,
             timeout=30)


def test_files_chosen_in_the_native_dialog_are_shared_by_qr(world):
    payload = world.root / "pick me.bin"
    payload.write_bytes(os.urandom(700_000))
    world.click("choose-files")
    pick_in_native_dialog("Choose files to send", payload)
    wait_for("the chosen file in the selection", lambda: world.page_has(str(payload)))

    world.click("share-qr-open")
    ticket = world.wait("share-ticket").get_attribute("title")
    got = world.root / "got"
    received = world.cli("receive", ticket, "--out", str(got))
    assert received.returncode == 0, received.stderr
    assert (got / "pick me.bin").read_bytes() == payload.read_bytes()


def test_the_app_serves_the_local_api_and_the_cli_goes_through_it(world):
    world.wait("nav-home")
    data = world.root / "app-data"
    endpoint = wait_for("api.json", lambda: json.loads((data / "api.json").read_text()))
    token_file = data / "api-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text().strip()

    def call(method, **params):
        host, port = endpoint["http"].rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.request("POST", "/rpc", json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                       "params": params}),
                           {"Authorization": f"Bearer {token}"})
        answer = json.loads(connection.getresponse().read())
        assert "result" in answer, answer
        return answer["result"]

    assert call("node.info")["name"] == "Studio"
    # Pairing started through the API: the CLI joins, the window lists it.
    ticket = call("pairing.start", valid_for_secs=120)["ticket"]
    joined = world.cli("--json", "pair", ticket)
    assert joined.returncode == 0, joined.stderr
    world.click("nav-devices")
    wait_for("the CLI device in the window", lambda: world.page_has("Pixel 9"))
    # `ferry` on the app's data dir goes through the running app.
    listed = subprocess.run([FERRY, "--data-dir", str(data), "--json", "devices"], capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.splitlines()[0])["name"] == "Pixel 9"


def test_settings_start_at_login_and_a_relay_that_needs_a_restart(world):
    entry = world.home / ".config" / "autostart" / "Ferry.desktop"
    world.click("nav-settings")
    world.toggle("settings-start-at-login")
    world.click("settings-save")
    wait_for("the autostart entry", entry.exists)
    assert f"Exec={APP} --hidden" in entry.read_text()
    world.toggle("settings-start-at-login")
    world.click("settings-save")
    wait_for("the autostart entry to go", lambda: not entry.exists())

    world.click("settings-relay-custom")
    url = world.wait("settings-relay-url")
    url.send_keys("ftp://relay.example")
    world.click("settings-save")
    assert "https://" in world.wait("settings-relay-problem").text
    # The page scrolls smoothly to the field at fault: clear it once it is there.
    wait_for("the URL field", lambda: url.clear() or True)
    url.send_keys("https://relay.example.net")
    world.click("settings-save")
    world.wait("settings-restart")
    saved = json.loads((world.root / "app-data" / "desktop-settings.json").read_text())
    assert saved["relay"] == "custom" and saved["relay_url"] == "https://relay.example.net"


TEST_CA = """-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUJAY64iuH5mLYR59Tf/x06fZ0uQgwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNRmVycnkgdGVzdCBDQTAgFw0yNjEyMDIwNzE1MTRaGA8yMTI2
MTEwODA3MTUxNFowGDEWMBQGA1UEAwwNRmVycnkgdGVzdCBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLIZyHzxdmH7bMSim0Jy9va7KSdToxexQVS7NQ1q8bcF
Gybidm/nWHDag8TovEDba4t350V7XkTaUQJgsmJre+ujUzBRMB0GA1UdDgQWBBSk
nsfnlftoFyZqf+fMrK/ix6zuBTAfBgNVHSMEGDAWgBSknsfnlftoFyZqf+fMrK/i
x6zuBTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBxSdCIJLAz/
u/9Tj2gVdpsfO2rtbGLTUcZmEBqyOYWfAiEAiMOK2d1UKfZcFaXJdonBUyJmMMrj
R5vwyyuYIOLCtVw=
-----END CERTIFICATE-----
"""


def test_settings_a_discovery_server_and_a_certificate_to_trust(world):
    world.click("nav-settings")
    world.click("settings-discovery-custom")
    url = world.wait("settings-discovery-url")
    url.send_keys("dns.example.net")
    wait_for("the /pkarr suggestion", lambda: world.page_has("https://dns.example.net/pkarr"))
    world.click("settings-discovery-url-fix")
    assert url.get_attribute("value") == "https://dns.example.net/pkarr"

    cert = world.wait("settings-trust-cert")
    cert.send_keys("ca.pem")
    world.click("settings-save")
    assert "full path" in world.wait("settings-cert-problem").text
    wait_for("the certificate field", lambda: cert.clear() or True)
    pem = world.root / "private-ca.pem"
    pem.write_text(TEST_CA)
    world.click("settings-trust-cert-choose")
    pick_in_native_dialog("Choose a certificate file to trust", pem)
    wait_for("the chosen certificate", lambda: cert.get_attribute("value") == str(pem))
    world.click("settings-save")
    world.wait("settings-restart")
    saved = json.loads((world.root / "app-data" / "desktop-settings.json").read_text())
    assert saved["discovery"] == "custom" and saved["discovery_url"] == "https://dns.example.net/pkarr"
    assert saved["trust_cert"] == str(pem)


def test_a_collections_old_versions_are_set_in_its_detail(world):
    world.wait("nav-home")
    data = world.root / "app-data"
    wait_for("api.json", lambda: (data / "api.json").exists())
    folder = world.root / "Photos"
    folder.mkdir()
    (folder / "IMG_0001.jpg").write_bytes(os.urandom(120_000))

    def app_cli(*args):
        # `ferry` on the app's data dir goes through the running app.
        done = subprocess.run([FERRY, "--data-dir", str(data), *args], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    app_cli("collection", "create", "Photos", "--dir", str(folder))

    def keep():
        return json.loads(app_cli("--json", "collection", "keep", "Photos").splitlines()[0])["keep"]

    assert keep() == {"days": 30, "max_percent": 10, "max_bytes": None}
    world.click("nav-collections")
    world.click("collections-refresh")
    world.click("collection-open")
    days = Select(world.wait("collection-keep-days"))
    assert days.first_selected_option.text == "30 days"
    assert world.find("collection-kept").text.startswith("0 B")
    days.select_by_visible_text("7 days")
    wait_for("7 days kept", lambda: keep()["days"] == 7)
    Select(world.find("collection-keep-size")).select_by_visible_text("25% of the folder")
    wait_for("a quarter of the folder", lambda: keep() == {"days": 7, "max_percent": 25, "max_bytes": None})
    # Set elsewhere: the window shows it among the choices.
    app_cli("collection", "keep", "Photos", "--keep-size", "2GB")
    world.click("collection-refresh")
    size = Select(world.find("collection-keep-size"))
    wait_for("the size set by the CLI", lambda: size.first_selected_option.text == "2 GB")
    Select(world.find("collection-keep-days")).select_by_visible_text("Off")
    wait_for("history off", lambda: keep()["days"] == 0)
    wait_for("no size to choose when off", lambda: not world.find("collection-keep-size").is_enabled())


def test_the_network_check_shows_the_verdict_and_each_device(world):
    out = Path(SHOTS) if SHOTS else world.root / "shots"
    out.mkdir(parents=True, exist_ok=True)
    world.pair_cli()
    phone = world.cli_start("--json", "--name", "Pixel 9", "listen")
    try:
        wait_for("the phone to listen", lambda: "listening" in phone.stdout.readline())
        world.click("nav-settings")
        world.click("network-check")
        verdict = world.wait("network-verdict", timeout=90)
        lumas = {}
        for theme in ("light", "dark"):
            world.click(f"theme-{theme}")
            world.browser.execute_script("arguments[0].scrollIntoView({block: 'end'});", world.find("network-doctor"))
            time.sleep(0.6)
            path = out / f"network-check-{theme}.png"
            world.browser.save_screenshot(str(path))
            lumas[theme] = mean_luma(path)
        assert lumas["light"] > lumas["dark"] + 60, lumas

        assert verdict.get_attribute("data-level") == "limited"
        assert "Relays are off" in verdict.text
        assert "Works, with limits" in verdict.text
        assert "Off" in world.find("network-relays").text
        # (WebDriver's text leaves out the name, drawn with an ellipsis when long.)
        devices = " ".join(world.find("network-devices").get_attribute("textContent").split())
        assert "Pixel 9" in devices and "1 of 1 online" in devices, devices
        assert "This computer" in devices, devices  # the route: both on this machine
        assert "Check again" in world.find("network-check").text
    finally:
        phone.terminate()
        phone.wait(10)


def mean_luma(png_path):
    """The mean brightness (0-255) of an 8-bit RGB or RGBA PNG, decoded by hand."""
    data = Path(png_path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    total = count = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 8 == 0:
            for x in range(0, width, 8):
                o = x * channels
                total += (line[o] * 299 + line[o + 1] * 587 + line[o + 2] * 114) // 1000
                count += 1
    return total / count


def test_every_screen_in_light_and_dark(world):
    out = Path(SHOTS) if SHOTS else world.root / "shots"
    out.mkdir(parents=True, exist_ok=True)
    world.pair_cli()

    # Something in every screen: an offer waiting, a finished transfer, a
    # collection with an invitation.
    first = world.root / "boarding-pass.pdf"
    first.write_bytes(os.urandom(240_000))
    done = world.cli_start("push", "Studio", str(first))
    world.click("nav-inbox")
    world.click("offer-accept")
    assert done.wait(120) == 0
    family = world.root / "Family"
    family.mkdir()
    (family / "recipes.md").write_text("# Recipes\n")
    created = world.cli("collection", "create", "Family", "--dir", str(family))
    assert created.returncode == 0, created.stderr
    invited = world.cli("collection", "invite", "Family", "Studio")
    assert invited.returncode == 0, invited.stderr
    photos = world.root / "Trip photos"
    photos.mkdir()
    for i in range(1, 4):
        (photos / f"IMG_20{i:02d}.jpg").write_bytes(os.urandom(90_000 * i))
    waiting = world.cli_start("push", "Studio", str(photos))
    world.click("nav-inbox")
    wait_for("the second offer", lambda: len(world.browser.find_elements(By.CSS_SELECTOR, '[data-testid="offer-accept"]')) == 1)

    screens = ["home", "devices", "inbox", "collections", "settings"]
    lumas = {}
    for theme in ("light", "dark"):
        world.click("nav-settings")
        world.click(f"theme-{theme}")
        for screen in screens:
            world.click(f"nav-{screen}")
            time.sleep(0.6)
            path = out / f"{screen}-{theme}.png"
            world.browser.save_screenshot(str(path))
            lumas[(screen, theme)] = mean_luma(path)
        world.click("nav-devices")
        world.click("pair-phone")
        world.wait("pairing-qr")
        time.sleep(0.5)
        world.browser.save_screenshot(str(out / f"pair-{theme}.png"))
        world.browser.find_element(By.TAG_NAME, "body").send_keys("\ue00c")
    waiting.terminate()
    waiting.wait(10)

    for screen in screens:
        light, dark = lumas[(screen, "light")], lumas[(screen, "dark")]
        assert light > dark + 60, f"{screen}: light {light:.0f} vs dark {dark:.0f}"
    for name in [*screens, "pair"]:
        for theme in ("light", "dark"):
            assert (out / f"{name}-{theme}.png").exists(), f"{name}-{theme}.png"
