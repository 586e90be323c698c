#!/usr/bin/env bash
# The desktop app end to end: builds the UI and the app, installs
# tauri-driver, WebKitWebDriver, Xvfb and xdotool if missing, and runs the WebDriver
# tests in a real window under Xvfb. Ends with "desktop: N passed, N failed".
# With FERRY_SCREENSHOTS=DIR, the screenshots of every screen are kept there
# (docs/screenshots holds the committed ones). Arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TOOLS="$CACHE/tools"
VENV="$CACHE/python-venv"
DRIVER_VERSION="2.1.0"

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v WebKitWebDriver >/dev/null || need+=(webkit2gtk-driver)
command -v dbus-run-session >/dev/null || need+=(dbus-daemon)
[[ -f /usr/share/dbus-1/session.conf ]] || need+=(dbus-session-bus-common)
command -v pkill >/dev/null || need+=(procps)
command -v xdotool >/dev/null || need+=(xdotool)
if ((${#need[@]})); then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
if ! "$TOOLS/bin/tauri-driver" --help >/dev/null 2>&1; then
    CARGO_TARGET_DIR="$CACHE/tauri-driver-target" \
        cargo install tauri-driver --version "$DRIVER_VERSION" --locked --root "$TOOLS" >&2
fi

(cd "$ROOT/desktop/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build) >&2
(cd "$ROOT" && cargo build --locked --workspace --exclude ferry-bindgen) >&2

[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "pytest>=8" "selenium>=4.20,<5" "dbus-next>=0.2.3,<0.3"

export FERRY_DESKTOP_BIN="$CARGO_TARGET_DIR/debug/ferry-desktop"
export FERRY_BIN="$CARGO_TARGET_DIR/debug/ferry"
export TAURI_DRIVER="$TOOLS/bin/tauri-driver"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
# A private X server without access control: the app is started by
# WebKitWebDriver, which does not pass an Xauthority file along.
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'rm -f "$report"; kill "$xvfb" 2>/dev/null || true' EXIT
export DISPLAY="$display"
sleep 1
set +e
# A private D-Bus session: the app's single instance lives on it, and the
# tests' notification service records what the app shows.
dbus-run-session -- "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$report" "$ROOT/desktop/e2e" "$@"
status=$?
set -e
read -r total failed <<<"$(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
t = sum(int(s.get("tests", 0)) for s in suites)
s = sum(int(s.get("skipped", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(t - s, f)
PY
)"
passed=$((total - failed))
printf '\ndesktop: %d passed, %d failed\n' "$passed" "$failed"
((passed > 0 && status == 0))
