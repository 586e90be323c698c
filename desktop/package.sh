#!/usr/bin/env bash
# Builds the desktop app's Linux bundles: a .deb and an AppImage.
#
#   desktop/package.sh            # both
#   desktop/package.sh deb        # only the .deb
#   desktop/package.sh appimage   # only the AppImage
#
# Installs what it needs (the WebKitGTK build packages, the pinned Tauri
# CLI from npm, the UI's npm packages), builds the UI and a release build
# of the app, bundles it, and prints where the bundles are. The .deb
# registers the `ferry://` link scheme through its .desktop file.
#
# The AppImage step downloads linuxdeploy from GitHub the first time; on a
# machine that cannot reach GitHub it fails with a message saying so, and
# the .deb is still built.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/package-target}"
CLI_VERSION="2.12.5"
# Bundles carry no debug info (the workspace's release profile keeps line tables).
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true
CLI_DIR="$CACHE/tools/tauri-cli-$CLI_VERSION"
TAURI="$CLI_DIR/node_modules/.bin/tauri"

case "${1:-all}" in
    all) bundles=(deb appimage) ;;
    deb | appimage) bundles=("$1") ;;
    *) echo "usage: $0 [deb|appimage|all]" >&2; exit 2 ;;
esac

need=()
for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev file; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
    echo "installing ${need[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
if [[ ! -x "$TAURI" ]]; then
    echo "installing the Tauri CLI $CLI_VERSION" >&2
    npm install --silent --no-audit --no-fund --prefix "$CLI_DIR" "@tauri-apps/cli@$CLI_VERSION" >&2
fi

echo "building the UI" >&2
(cd "$ROOT/desktop/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build) >&2

bundle_dir="$CARGO_TARGET_DIR/release/bundle"
status=0
for bundle in "${bundles[@]}"; do
    echo "bundling: $bundle (a release build; the first one takes a while)" >&2
    if ! (cd "$ROOT/desktop/src-tauri" && "$TAURI" build --ci --bundles "$bundle") >&2; then
        if [[ "$bundle" == appimage ]]; then
            echo "error: the AppImage was not built. Its tools (linuxdeploy) are downloaded from github.com on first use; check that this machine can reach it." >&2
        else
            echo "error: the $bundle bundle was not built (see above)" >&2
        fi
        status=1
    fi
done

shopt -s nullglob
found=("$bundle_dir"/deb/*.deb "$bundle_dir"/appimage/*.AppImage)
for deb in "$bundle_dir"/deb/*.deb; do
    # The package must hold the binary and a .desktop file that claims ferry:// links.
    contents="$(dpkg-deb -c "$deb")"
    grep -q "usr/bin/ferry-desktop$" <<<"$contents" || { echo "error: $deb has no usr/bin/ferry-desktop" >&2; status=1; }
    desktop_file="$(grep -o 'usr/share/applications/[^ ]*\.desktop' <<<"$contents" | head -1)"
    if [[ -z "$desktop_file" ]] || ! dpkg-deb --fsys-tarfile "$deb" | tar -xO "$desktop_file" | grep -q "^Exec=.* %u" \
        || ! dpkg-deb --fsys-tarfile "$deb" | tar -xO "$desktop_file" | grep -q "x-scheme-handler/ferry"; then
        echo "error: $deb does not register ferry:// links" >&2
        status=1
    fi
done
if ((${#found[@]})); then
    echo "bundles:"
    for f in "${found[@]}"; do
        printf '  %s (%s)\n' "$f" "$(du -h "$f" | cut -f1)"
    done
fi
exit "$status"
