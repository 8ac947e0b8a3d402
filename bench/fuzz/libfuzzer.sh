#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (shipped with the Swift toolchain on Linux) and AddressSanitizer.
#
#   bench/fuzz/libfuzzer.sh [SECONDS_PER_TARGET] [TARGET…]     (default 120 s, every target)
#
# Builds vecdb-libfuzzer in .build-libfuzzer with -sanitize=fuzzer,address, writes each target's seeds (the
# ones vecdb-fuzz mutates) into bench/out/libfuzzer/TARGET/corpus, and runs libFuzzer on them with a 2 s
# per-input timeout and a 2 GiB memory limit. A crash, leak, timeout or out-of-memory input is saved as
# bench/out/libfuzzer/TARGET/crash-* (or timeout-*, oom-*) and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors gguf bpe-json wordpiece-json jsonl wordpiece bpe)

nice -n 10 swift build -c release --product vecdb-fuzz
nice -n 10 swift build -c release --scratch-path .build-libfuzzer --product vecdb-libfuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DVECDB_LIBFUZZER
fuzzer=.build-libfuzzer/release/vecdb-libfuzzer

status=0
for target in "${targets[@]}"; do
    out=bench/out/libfuzzer/$target
    mkdir -p "$out/corpus"
    .build/release/vecdb-fuzz "$target" --write-seeds "$out/corpus"
    echo "== $target: $seconds s"
    # Leak checking is off: Swift's runtime keeps metadata caches that LeakSanitizer reports as leaks.
    if ! VECDB_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no nice -n 10 "$fuzzer" "$out/corpus" \
        -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=1048576 \
        -artifact_prefix="$out/" -print_final_stats=1 2>"$out/log.txt"; then
        status=1
        echo "!! $target failed; see $out/log.txt"
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^Done|cov:" "$out/log.txt" | tail -4
done
exit $status
