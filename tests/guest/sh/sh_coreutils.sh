#!/bin/sh
# shellcheck disable=SC2012,SC2016 # ls output is what is tested; $ in single quotes for the child
# GNU coreutils (Debian's, dynamically linked: libc, and libselinux/libpcre2
# for ls, cp, mv, mkdir, stat...) on real files, each called by its path in
# /usr/bin: busybox sh would run its own applet for a bare name. Checks that
# each one is GNU's (--version), then ls cat cp mv rm mkdir ln chmod stat
# sort wc head tail seq dd md5sum sha256sum date env sleep.
fails=0
expect() { # name want got
	if [ "$3" = "$2" ]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; fails=$((fails + 1)); fi
}
G=/usr/bin
D=${TMPDIR:-/tmp}/sh_coreutils.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

for u in ls cat cp mv rm mkdir ln chmod stat sort wc head tail seq dd md5sum sha256sum date env sleep; do
	v=$($G/$u --version 2>&1)
	expect "gnu_$u" "$u coreutils FSF" "$(echo "$v" | sed -n '1s/^\([a-z0-9]*\) (\(GNU \)\{0,1\}coreutils) [0-9].*$/\1 coreutils/p') $(echo "$v" | grep -q 'Free Software Foundation' && echo FSF)"
done

# seq, sort, head, tail, wc.
expect seq "1 3 5 7 9" "$($G/seq 1 2 9 | tr '\n' ' ' | sed 's/ $//')"
expect seq_w "08 09 10" "$($G/seq -w 8 10 | tr '\n' ' ' | sed 's/ $//')"
$G/seq 1000 >nums
expect wc "1000 1000 3893" "$($G/wc nums | awk '{ print $1, $2, $3 }')"
expect wc_l "1000" "$($G/wc -l <nums)"
expect head "1 2 3" "$($G/head -n 3 nums | tr '\n' ' ' | sed 's/ $//')"
expect head_c "1
2" "$($G/head -c 3 nums)"
expect tail "999 1000" "$($G/tail -n 2 nums | tr '\n' ' ' | sed 's/ $//')"
expect tail_plus "998" "$($G/tail -n +998 nums | $G/head -n 1)"
expect sort_n "1000 999 998" "$($G/sort -rn nums | $G/head -n 3 | tr '\n' ' ' | sed 's/ $//')"
expect sort_lex "1 10 100 1000" "$($G/sort nums | $G/head -n 4 | tr '\n' ' ' | sed 's/ $//')"
printf 'b 2\na 3\nc 1\na 1\n' >pairs
expect sort_key "c 1|a 1|b 2|a 3" "$($G/sort -k2,2n -s pairs | paste -sd'|')"
expect sort_u "a b c" "$(cut -d' ' -f1 pairs | $G/sort -u | tr '\n' ' ' | sed 's/ $//')"
expect sort_random "100000 5000050000" "$($G/seq 100000 | $G/sort -R | $G/sort -n --parallel=2 -S 1M | awk '{ s += $1; n = $1 } END { print n, s }')"

# cat, cp, mv, rm, mkdir, ln, chmod, stat.
printf 'line1\nline2\n' >a
expect cat_n "     1	line1" "$($G/cat -n a | $G/head -n 1)"
expect cat_concat "4" "$($G/cat a a | $G/wc -l)"
$G/mkdir -p d1/d2/d3
expect mkdir_p "yes" "$([ -d d1/d2/d3 ] && echo yes)"
expect mkdir_exists "1" "$($G/mkdir d1 2>/dev/null; echo $?)"
$G/mkdir -m 700 priv
expect mkdir_m "700" "$($G/stat -c %a priv)"
$G/cp a d1/b
expect cp "line1 line2" "$($G/cat d1/b | tr '\n' ' ' | sed 's/ $//')"
$G/chmod 640 a
$G/cp -p a pres
expect cp_p "640" "$($G/stat -c %a pres)"
$G/cp -r d1 d1copy
expect cp_r "d1copy/b d1copy/d2 d1copy/d2/d3" "$(find d1copy -mindepth 1 | $G/sort | tr '\n' ' ' | sed 's/ $//')"
$G/mv d1copy/b moved
expect mv "yes no" "$([ -f moved ] && echo yes) $([ -e d1copy/b ] && echo yes || echo no)"
$G/mv d1copy d1moved
expect mv_dir "yes" "$([ -d d1moved/d2/d3 ] && [ ! -e d1copy ] && echo yes)"
$G/rm -r d1moved
expect rm_r "no" "$([ -e d1moved ] && echo yes || echo no)"
expect rm_missing "1" "$($G/rm nosuchfile 2>/dev/null; echo $?)"
expect rm_f_missing "0" "$($G/rm -f nosuchfile; echo $?)"
$G/ln -s a sym
$G/ln a hard
expect ln_s "a" "$(readlink sym)"
expect ln_hard "2 2" "$($G/stat -c %h a) $($G/stat -c %h hard)"
expect ln_same_inode "yes" "$([ "$($G/stat -c %i a)" = "$($G/stat -c %i hard)" ] && echo yes)"
$G/chmod u+x,g-r a
expect chmod_sym "700" "$($G/stat -c %a a)"
$G/chmod -R go-rwx d1
$G/chmod -R go+rX d1
expect chmod_R "755 644" "$($G/stat -c %a d1/d2) $($G/stat -c %a d1/b)"
expect stat_fmt "12 regular file" "$($G/stat -c '%s %F' a)"
expect stat_link "symbolic link a" "$($G/stat -c '%F %N' sym | sed "s/'//g; s/ sym -> / /")"
expect stat_dir "directory" "$($G/stat -c %F d1)"
expect stat_L "regular file" "$($G/stat -L -c %F sym)"
touch -d '2001-02-03 04:05:06' a
expect stat_mtime "981173106" "$($G/stat -c %Y a)"

# ls.
expect ls "a d1 hard moved nums pairs pres priv sym" "$($G/ls | tr '\n' ' ' | sed 's/ $//')"
expect ls_l_mode "-rwx------ 2" "$($G/ls -l a | cut -d' ' -f1-2)"
expect ls_l_link "sym -> a" "$($G/ls -l sym | sed 's/.* sym/sym/')"
expect ls_d "drwx------" "$($G/ls -ld priv | cut -c1-10)"
expect ls_R "3" "$($G/ls -R d1 | grep -c ':$')"
expect ls_a ". .." "$(cd priv && $G/ls -a | tr '\n' ' ' | sed 's/ $//')"
expect ls_i "yes" "$([ "$($G/ls -i a | cut -d' ' -f1)" = "$($G/stat -c %i a)" ] && echo yes)"
expect ls_t "a" "$(touch -d '2030-01-01' a; $G/ls -t | $G/head -n 1)"
expect ls_missing "2" "$($G/ls nosuchfile 2>/dev/null; echo $?)"

# dd, md5sum, sha256sum.
expect dd "4096" "$($G/dd if=/dev/zero of=z bs=512 count=8 status=none; $G/stat -c %s z)"
expect dd_skip "37" "$($G/seq 100 | $G/dd bs=1 skip=99 count=2 status=none)"
expect dd_conv "HELLO" "$(echo hello | $G/dd conv=ucase status=none)"
expect dd_seek "12288" "$($G/dd if=/dev/zero of=z bs=4096 seek=2 count=1 conv=notrunc status=none; $G/stat -c %s z)"
expect md5sum "4072783b8efb99a9e5817067d68f61c6" "$($G/md5sum z | cut -d' ' -f1)"
expect sha256sum "f3cc103136423a57975750907ebc1d367e2985ac6338976d4d5a439f50323f4a" "$($G/sha256sum z | cut -d' ' -f1)"
$G/md5sum a nums >sums
expect md5sum_c "a: OK nums: OK" "$($G/md5sum -c sums | tr '\n' ' ' | sed 's/ $//')"
echo x >>nums
expect md5sum_c_bad "1" "$($G/md5sum -c --quiet sums >/dev/null 2>&1; echo $?)"
expect sha256_stdin "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" "$(printf abc | $G/sha256sum | cut -d' ' -f1)"

# date, env, sleep.
expect date_utc "2001-02-03 04:05:06" "$($G/date -u -d @981173106 '+%Y-%m-%d %H:%M:%S')"
expect date_now "1" "$([ "$($G/date +%s)" -gt 1600000000 ] && echo 1)"
expect date_same "1" "$(a=$($G/date +%s); b=$(date +%s); [ $((b - a)) -ge 0 ] && [ $((b - a)) -le 2 ] && echo 1)"
expect env_i "A=1" "$($G/env -i A=1 $G/env)"
expect env_u "unset" "$(X=1 $G/env -u X sh -c 'echo ${X:-unset}')"
expect env_run "hi" "$($G/env echo hi)"
t0=$(cut -d' ' -f1 /proc/uptime)
$G/sleep 0.3
t1=$(cut -d' ' -f1 /proc/uptime)
expect sleep "1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d >= 0.29 && d < 10) ? 1 : 0 }')"
$G/sleep 10 &
sp=$!
kill $sp
wait $sp 2>/dev/null
expect sleep_killed "143" "$?"

cd / && rm -rf "$D"
exit $fails
