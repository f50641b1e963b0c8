#!/usr/bin/env bash
# Build the ext2 libFuzzer target with Debian's clang and run it for a
# fixed time on a corpus seeded with small mke2fs images.
#
# Usage: tests/fuzz/run.sh            (FUZZ_SECONDS=20 by default)
# Environment: FUZZ_SECONDS, CLANG (clang), FUZZ_VERBOSE=1 (kernel log lines)
# Output: build/fuzz/fuzz_ext2, build/fuzz/corpus/, crash-* files in
# build/fuzz/ when something is found (the script then fails).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/fuzz
CLANG=${CLANG:-clang}
SECS=${FUZZ_SECONDS:-20}

command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not installed (apt-get install clang); skipped"; exit 0; }
command -v mke2fs >/dev/null || { echo "fuzz: mke2fs not installed; skipped"; exit 0; }
mkdir -p "$OUT/corpus"

SRCS="fs/ext2/super.c fs/ext2/balloc.c fs/ext2/inode.c fs/ext2/file.c fs/ext2/dir.c fs/ext2/namei.c
      drivers/block/bcache.c drivers/block/blkdev.c tests/unit/ext2_host.c tests/fuzz/fuzz_host.c
      tests/fuzz/fuzz_ext2.c"
# shellcheck disable=SC2086
(cd "$ROOT" && "$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wno-unused-parameter -DSKIFF_HOST_TEST -DSKIFF_DEBUG \
	-Itests/unit/fake -Iinclude -Itests/unit -o "$OUT/fuzz_ext2" $SRCS)

# Seeds: small images with files, directories, symlinks, holes (1 KiB and
# 2 KiB blocks, revision 0 and 1).
if [ ! -e "$OUT/corpus/seed-rev0" ]; then
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	mkdir -p "$src/d/e"
	printf 'hello\n' >"$src/hello"
	head -c 8000 /dev/urandom >"$src/d/rand"
	ln -s hello "$src/l"
	ln -s "$(printf 'x%.0s' $(seq 100))" "$src/d/longlink"
	for i in $(seq 10); do echo "$i" >"$src/d/e/f$i"; done
	truncate -s 100000 "$src/sparse"
	rm -f "$OUT"/corpus/seed-*
	mke2fs -q -F -t ext2 -b 1024 -N 32 -d "$src" "$OUT/corpus/seed-1k" 192K >/dev/null 2>&1
	mke2fs -q -F -t ext2 -b 2048 -N 32 -d "$src" "$OUT/corpus/seed-2k" 256K >/dev/null 2>&1
	mke2fs -q -F -t ext2 -r 0 -b 1024 -N 32 "$OUT/corpus/seed-rev0" 64K >/dev/null 2>&1
fi

echo "fuzz: ext2 for ${SECS}s"
cd "$OUT"
ASAN_OPTIONS=detect_leaks=1 ./fuzz_ext2 -max_total_time="$SECS" -max_len=1048576 -timeout=10 \
	-rss_limit_mb=1024 -print_final_stats=1 corpus >fuzz.log 2>&1 || status=$?
tail -n 12 fuzz.log
if [ "${status:-0}" != 0 ]; then
	echo "fuzz: FAILED (status $status); reproducer: build/fuzz/crash-*; log: build/fuzz/fuzz.log"
	exit 1
fi
echo "fuzz: no crash in ${SECS}s"
