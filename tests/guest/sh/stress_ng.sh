#!/bin/sh
# run-all-timeout: 150
# Debian's stress-ng (rootfs/stress.list) on the synchronisation paths: the
# futex, mutex, sem and pthread stressors, 4 instances each, 10 s each, with
# --verify (each stressor checks its own results) and --metrics-brief.
# A stressor passes when stress-ng exits 0, prints no "fail" / "error" line
# and no "unsuccessful run", says "successful run completed", and reports a
# non-zero bogo-op count for it. The bogo-ops line is printed either way.
# The four runs take 45-55 s together, more than run-all's default
# per-program limit: the "run-all-timeout" line above raises it for this
# script only. By hand, STRESSORS (default "futex mutex sem pthread") and
# STRESS_SECS (10) choose a shorter run.
fails=0
STRESS=/usr/bin/stress-ng
SECS=${STRESS_SECS:-10}
if [ ! -x "$STRESS" ]; then
	echo "FAIL stress-ng: $STRESS is not in the image (install stress-ng on the host: scripts/deps.sh stress)"
	exit 1
fi
D=${TMPDIR:-/tmp}/stress_ng.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

for s in ${STRESSORS:-futex mutex sem pthread}; do
	out=$D/$s.out
	# timeout: a hung stressor fails this run instead of the whole script.
	timeout $((SECS * 3 + 15)) "$STRESS" --"$s" 4 --verify --metrics-brief \
		--timeout "$SECS" --temp-path "$D" >"$out" 2>&1
	rc=$?
	ops=$(awk -v s="$s" '$2 == "metrc:" && $4 == s && $5 ~ /^[0-9]+$/ { print $5; exit }' "$out")
	why=
	[ "$rc" = 0 ] || why="exit status $rc"
	if grep -qiE '(^|[^a-z])(fail|error):|unsuccessful run' "$out"; then
		why="${why:+$why, }stress-ng reported a failure"
	fi
	grep -q 'successful run completed' "$out" || why="${why:+$why, }no 'successful run completed'"
	case $ops in
	'' | 0) why="${why:+$why, }no bogo-ops for $s" ;;
	esac
	if [ -n "$why" ]; then
		sed 's/^/  /' "$out"
		echo "FAIL stress-ng --$s 4 --verify: $why"
		fails=$((fails + 1))
	else
		grep -E 'metrc:' "$out" | sed 's/^/  /'
		echo "PASS stress-ng --$s 4 --verify: $ops bogo-ops in ${SECS}s"
	fi
done

cd / && rm -rf "$D"
[ "$fails" = 0 ]
