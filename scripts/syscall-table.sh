#!/usr/bin/env bash
# Which Linux x86-64 system calls Skiff implements, and which still return
# -ENOSYS: the SYSCALL_DEFINE(nr, name) registrations in the source (the
# dispatcher's table is built from exactly those, kernel/syscall.c) against
# Linux's table (the host's <asm/unistd_64.h>, else include/uapi/unistd.h).
#
# Usage: scripts/syscall-table.sh [-1]
#   -1   one "nr name" per line instead of filled lines
#
# Prints "implemented: N of M", the list, "not implemented (-ENOSYS): K",
# the list, and a warning for a registration whose number Linux does not
# have or whose name differs from Linux's. Exit status 0.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ONE=0
[ "${1:-}" = -1 ] && ONE=1

LINUX_H=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -f "$LINUX_H" ] || LINUX_H=include/uapi/unistd.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "nr name", sorted by number. Debian 12's headers (Linux 6.1) end at 450;
# the numbers Linux added since (syscall_64.tbl) fill in where they lack.
{
	sed -n 's/^#define __NR_\([a-z0-9_]*\)[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\2 \1/p' "$LINUX_H"
	cat <<-'EOF'
	451 cachestat
	452 fchmodat2
	453 map_shadow_stack
	454 futex_wake
	455 futex_wait
	456 futex_requeue
	457 statmount
	458 listmount
	459 lsm_get_self_attr
	460 lsm_set_self_attr
	461 lsm_list_modules
	462 mseal
	EOF
} | sort -n -k1,1 -u >"$tmp/linux"
find . -path ./build -prune -o -path ./tests -prune -o -name '*.c' -print0 |
	xargs -0 grep -ohE '^SYSCALL_DEFINE\([0-9]+, *[a-z0-9_]+\)' |
	sed -E 's/SYSCALL_DEFINE\(([0-9]+), *([a-z0-9_]+)\)/\1 \2/' | sort -n -u >"$tmp/skiff"

# implemented: Linux's entries whose number Skiff registers; missing: the rest.
awk 'NR == FNR { have[$1] = $2; next } ($1 in have) { print > impl; next } { print > miss }' \
	impl="$tmp/impl" miss="$tmp/miss" "$tmp/skiff" "$tmp/linux"
touch "$tmp/impl" "$tmp/miss"
# Registrations Linux does not know by that number, or by another name.
awk 'NR == FNR { name[$1] = $2; next }
	!($1 in name) { printf "warning: SYSCALL_DEFINE(%s, %s): no such Linux x86-64 number\n", $1, $2; next }
	name[$1] != $2 { printf "note: %s is %s in Linux, registered as %s\n", $1, name[$1], $2 }' \
	"$tmp/linux" "$tmp/skiff" >&2

show() { # file: "nr name" entries, one a line or filled to 100 columns
	if [ "$ONE" = 1 ]; then
		cat "$1"
	else
		awk '{ w = $1 " " $2; if (len && len + 2 + length(w) > 100) { print line; line = ""; len = 0 }
			line = len ? line "  " w : w; len = length(line) } END { if (len) print line }' "$1"
	fi
}

total=$(wc -l <"$tmp/linux")
echo "Linux x86-64 system calls: $total ($LINUX_H, and 451-462 of Linux 6.10)"
echo
echo "implemented: $(wc -l <"$tmp/impl") of $total"
show "$tmp/impl"
echo
echo "not implemented (-ENOSYS): $(wc -l <"$tmp/miss")"
show "$tmp/miss"
