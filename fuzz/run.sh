#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other (they share
# the machine's cores with everything else), and prints one summary line per
# target: its name, the seconds it ran, libFuzzer's executions, and whether
# it found a crash (kept under fuzz/artifacts/TARGET/).
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# The working corpus grows under fuzz/corpus/ (not committed); the seeds in
# fuzz/seeds/ are read, never written. Not part of the test command.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(tickets frames collection_entry device_names safe_path)
fi
# Sanitizers find little in code without unsafe, and halve the speed.
sanitizer="${FUZZ_SANITIZER:-none}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"

# The same dependency versions as the workspace.
[[ -f Cargo.lock ]] || cp ../Cargo.lock Cargo.lock
cargo +nightly fuzz build --sanitizer "$sanitizer"
if [[ ! -d seeds ]]; then
    "$CARGO_TARGET_DIR/$(rustc +nightly -vV | sed -n 's/^host: //p')/release/seeds" -runs=0
fi

summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="$(mktemp)"
    set +e
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" \
        "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    grep -E 'panicked|SUMMARY|Test unit written|Done [0-9]+ runs' "$log" | tail -n 5 || true
    execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
    if ((status == 0)); then
        result="no crash"
    else
        result="CRASH (exit $status, see fuzz/artifacts/$target/)"
    fi
    summary+=("$target  ${seconds}s  $execs execs  $result")
    rm -f "$log"
done
printf '\n== fuzz summary\n'
printf '%s\n' "${summary[@]}"
