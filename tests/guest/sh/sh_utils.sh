#!/bin/sh
# shellcheck disable=SC2002,SC2005,SC2012,SC2018,SC2019,SC2034,SC2038,SC2116,SC2181 # the utilities are exercised on purpose
# busybox utilities on real files: ls cat cp mv rm ln mkdir grep sed awk
# find sort uniq xargs head tail cut wc tr dd md5sum stat touch chmod date.
fails=0
expect() { # name want got
	if [ "$3" = "$2" ]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; fails=$((fails + 1)); fi
}
D=${TMPDIR:-/tmp}/sh_utils.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

printf 'pear\napple\nfig\napple\n' >fruit
expect cat "pear apple fig apple" "$(cat fruit | tr '\n' ' ' | sed 's/ $//')"
expect sort "apple apple fig pear" "$(sort fruit | tr '\n' ' ' | sed 's/ $//')"
expect sort_u "apple fig pear" "$(sort -u fruit | tr '\n' ' ' | sed 's/ $//')"
expect uniq_c "2 apple" "$(sort fruit | uniq -c | sed 's/^ *//' | head -n 1)"
expect grep "2" "$(grep -c apple fruit)"
expect grep_v "pear fig" "$(grep -v apple fruit | tr '\n' ' ' | sed 's/ $//')"
expect grep_E "pear fig" "$(grep -E '^(pear|fig)$' fruit | tr '\n' ' ' | sed 's/ $//')"
expect sed "pEar" "$(sed -n '1s/e/E/p' fruit)"
expect sed_i "APPLE" "$(cp fruit f2 && sed -i 's/apple/APPLE/' f2 && sed -n 2p f2)"
expect awk "10" "$(printf '1 2\n3 4\n' | awk '{ s += $1 + $2 } END { print s }')"
expect awk_fs "b" "$(echo a:b:c | awk -F: '{ print $2 }')"
expect head_tail "apple fig" "$(head -n 3 fruit | tail -n 2 | tr '\n' ' ' | sed 's/ $//')"
expect cut "b" "$(echo a,b,c | cut -d, -f2)"
expect wc "4 4 21" "$(wc fruit | awk '{ print $1, $2, $3 }')"

mkdir -p a/b/c
touch a/one a/b/two a/b/c/three
expect find "a/b/c/three a/b/two a/one" "$(find a -type f | sort | tr '\n' ' ' | sed 's/ $//')"
expect find_name "a/b/two" "$(find a -name two)"
expect xargs "3" "$(find a -type f | xargs ls | wc -l | tr -d ' ')"
expect xargs_n "x y" "$(printf 'x\ny\n' | xargs -n 1 echo | tr '\n' ' ' | sed 's/ $//')"
expect ls "b one" "$(ls a | tr '\n' ' ' | sed 's/ $//')"
expect ls_l "-rw-r--r--" "$(umask 022; touch lsf; ls -l lsf | cut -c1-10)"
expect ls_d "drwxr-xr-x" "$(umask 022; mkdir lsd; ls -ld lsd | cut -c1-10)"

echo data >src
cp src dst
expect cp "data" "$(cat dst)"
cp -r a acopy
expect cp_r "a/b/c/three" "$(cd acopy/.. && find acopy -name three | sed 's/^acopy/a/')"
mv dst moved
expect mv "data/no" "$(cat moved)/$([ -e dst ] && echo yes || echo no)"
ln -s moved link
expect ln_s "moved data" "$(readlink link) $(cat link)"
ln moved hard
expect ln_hard "2" "$(stat -c %h moved)"
rm -r acopy hard
expect rm "no" "$([ -e acopy ] && echo yes || echo no)"
chmod 751 moved
expect chmod "751" "$(stat -c %a moved)"
expect stat_size "5" "$(stat -c %s moved)"
expect dd "4096" "$(dd if=/dev/zero of=z bs=512 count=8 2>/dev/null; stat -c %s z)"
expect md5sum "6137cde4893c59f76f005a8123d8e8e6" "$(md5sum moved | cut -d' ' -f1)"
expect sha256sum "6667b2d1aab6a00caa5aee5af8ad9f1465e567abf1c209d15727d57b3e8f6e5f" "$(sha256sum moved | cut -d' ' -f1)"
expect tr "HELLO" "$(echo hello | tr a-z A-Z)"
expect date_epoch "1" "$([ "$(date +%s)" -gt 1600000000 ] && echo 1)"
expect seq "1 2 3" "$(seq 3 | tr '\n' ' ' | sed 's/ $//')"
expect basename "c" "$(basename /a/b/c)"
expect dirname "/a/b" "$(dirname /a/b/c)"
expect test_f "yes" "$([ -f moved ] && [ -d a ] && [ ! -e nothing ] && echo yes)"
expect gzip "data" "$(gzip -c moved | gunzip -c)"
expect tar "three" "$(tar cf t.tar a && mkdir un && tar xf t.tar -C un && ls un/a/b/c)"
expect id "uid=0(root) gid=0(root)" "$(id | cut -d' ' -f1-2)"
expect whoami "root" "$(whoami)"
expect hostname_nonempty "1" "$([ -n "$(hostname)" ] && echo 1)"
expect df "1" "$(df >/dev/null && echo 1)" # (df / fails on an initramfs: rootfs is skipped)
expect free "1" "$(free | grep -c '^Mem:')"
expect uname "Linux" "$(uname -s)"

cd / && rm -rf "$D"
exit $fails
