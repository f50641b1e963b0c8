#!/bin/sh
# shellcheck disable=SC2016 # $ in single quotes is for the bash the script runs
# Debian's bash (dynamically linked: libc, libtinfo) running a real bash
# script: indexed and associative arrays, functions with locals and return
# codes, $(...), pipelines with PIPESTATUS and pipefail, here-documents and
# here-strings, arithmetic, [[ ]] with regexes, parameter expansion, traps
# (EXIT, ERR, a signal sent to itself, RETURN), background jobs with wait
# and wait -n, process substitution, read loops and mapfile, subshells. The
# bash script prints "PASS name" or "FAIL name: ..." per check.
BASH=/bin/bash
if [ ! -x "$BASH" ]; then echo "FAIL setup: no $BASH in the image"; exit 1; fi
# Process substitution needs /dev/fd, and bash opens /dev/stderr as a file:
# udev makes these links on Debian; Linux's devtmpfs has none (Skiff's devfs
# has them).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${i#*:}" ] || ln -s "/proc/self/fd/${i%:*}" "/dev/${i#*:}"
done
D=${TMPDIR:-/tmp}/sh_bash.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

cat >t.bash <<'EOF'
# shellcheck shell=bash
# shellcheck disable=SC2016,SC2030,SC2031,SC2034,SC2154 # checks on purpose
fails=0
expect() { # name want got
	if [[ "$3" == "$2" ]]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; ((fails++)); fi
}

expect version "GNU bash" "$(bash --version | head -n 1 | cut -d, -f1)"
expect bash_version_5 "5" "${BASH_VERSINFO[0]}"

# Arrays.
a=(zero one "two words" three)
expect array_len 4 "${#a[@]}"
expect array_elem "two words" "${a[2]}"
a+=(four)
expect array_append "zero one two words three four" "${a[*]}"
expect array_slice "one|two words" "$(IFS='|'; echo "${a[*]:1:2}")"
unset 'a[1]'
expect array_unset "0 2 3 4" "${!a[*]}"
declare -A h=([apple]=red [banana]=yellow)
h[cherry]=dark
expect assoc "red yellow dark" "${h[apple]} ${h[banana]} ${h[cherry]}"
expect assoc_keys "apple banana cherry" "$(printf '%s\n' "${!h[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
expect assoc_has "yes no" "$([[ -v h[apple] ]] && echo yes) $([[ -v h[grape] ]] || echo no)"

# Functions: locals, return codes, recursion, dynamic scope.
fact() { local n=$1; if ((n <= 1)); then echo 1; else echo $((n * $(fact $((n - 1))))); fi; }
expect recursion 3628800 "$(fact 10)"
g=global
setlocal() { local g=local; inner; }
inner() { echo "$g"; }
expect dynamic_scope "local global" "$(setlocal) $g"
rc() { return 42; }
rc
expect return_code 42 "$?"
declare -f fact >/dev/null
expect declare_f 0 "$?"

# Command substitution, nested, and $(<file).
echo content >f.txt
expect cmdsubst "x-CONTENT-y" "x-$(echo "$(tr a-z A-Z <f.txt)")-y"
expect cmdsubst_file "content" "$(<f.txt)"

# Pipelines.
expect pipeline "3" "$(printf 'a\nb\nc\n' | grep -c .)"
false | true | (exit 3)
expect pipestatus "1 0 3" "${PIPESTATUS[*]}"
expect pipefail "1" "$(set -o pipefail; false | true; echo $?)"
expect lastpipe "7" "$(shopt -s lastpipe; set +m; echo 7 | read -r v; echo "$v")"

# Here-documents and here-strings.
name=world
cat >hd.txt <<EOT
hello $name
sum $((2 + 3))
EOT
expect heredoc "hello world|sum 5" "$(paste -sd'|' hd.txt)"
expect heredoc_quoted 'literal $name' "$(cat <<'EOT'
literal $name
EOT
)"
expect heredoc_tabs "indented" "$(cat <<-EOT
	indented
	EOT
)"
read -r x y <<<"first second"
expect herestring "second first" "$y $x"

# Arithmetic.
((i = 7 * 6, j = i % 5, k = 2 ** 10))
expect arith "42 2 1024" "$i $j $k"
expect arith_hex "255 8" "$((0xff)) $((2#1000))"
expect arith_ternary "1 big" "$((i > 40 ? 1 : 0)) $([[ $i -gt 40 ]] && echo big)"
let 'm = i << 2'
expect let 168 "$m"
declare -i n=10
n+=5
expect declare_i 15 "$n"

# [[ ]], regexes, globs, parameter expansion.
s="skiff-1.23-x86_64"
[[ $s =~ ^([a-z]+)-([0-9]+)\.([0-9]+) ]]
expect regex "skiff 1 23" "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
expect glob_match "yes" "$([[ $s == skiff-* ]] && echo yes)"
expect pe_strip "1.23-x86_64 skiff-1.23" "${s#*-} ${s%-*}"
expect pe_replace "skiff_1.23_x86_64" "${s//-/_}"
expect pe_longest "skiff" "${s%%-*}"
expect pe_case "SKIFF-1.23-X86_64" "${s^^}"
expect pe_substr "iff" "${s:2:3}"
expect pe_default "dflt set" "${unset_var:-dflt} ${s:+set}"
expect pe_length 17 "${#s}"
expect brace "a1 a2 a3 b1 b2 b3" "$(echo {a,b}{1..3})"
expect printf_v "00042" "$(printf -v out '%05d' 42; echo "$out")"
shopt -s extglob
expect extglob "match" "$([[ abc123 == +([a-z])+([0-9]) ]] && echo match)"

# Loops, read, mapfile, process substitution.
total=0
while read -r line; do ((total += line)); done < <(seq 1 10)
expect procsubst_while 55 "$total"
mapfile -t lines < <(printf 'l1\nl2\nl3\n')
expect mapfile "3 l3" "${#lines[@]} ${lines[2]}"
expect diff_procsubst "same" "$(cmp -s <(echo x) <(echo x) && echo same)"
for ((c = 0; c < 3; c++)); do out+=$c; done
expect c_for "012" "$out"
case "$s" in skiff-*) expect case_glob yes yes ;; *) expect case_glob yes no ;; esac

# Subshells and $BASHPID.
expect subshell_pid "differs" "$( (if [[ $BASHPID != "$$" ]]; then echo differs; fi) )"
v=outer
(v=inner)
expect subshell_isolated "outer" "$v"

# Traps.
expect trap_exit "cleanup" "$(bash -c 'trap "echo cleanup" EXIT; exit 0')"
expect trap_err "err:7" "$(bash -c 'trap "echo err:\$?" ERR; (exit 7); true')"
expect trap_signal "usr1 after" "$(bash -c 'trap "echo -n \"usr1 \"" USR1; kill -USR1 $$; echo after')"
expect trap_int_ignored "survived" "$(bash -c 'trap "" INT; kill -INT $$; echo survived')"
expect trap_term_status "143" "$(bash -c 'kill -TERM $$; echo not-here'; echo $?)"
got=$(bash -c 'f() { trap "echo returned" RETURN; :; }; f')
expect trap_return "returned" "$got"

# Background jobs and wait.
start=$SECONDS
(sleep 0.3; exit 4) &
p1=$!
(sleep 0.1; exit 5) &
p2=$!
wait $p2
expect wait_pid 5 "$?"
wait $p1
expect wait_pid2 4 "$?"
sleep 2 &
slow=$!
(exit 9) &
wait -n
expect wait_n 9 "$?"
kill $slow
wait $slow
expect wait_killed 143 "$?"
for k in 1 2 3 4; do (echo "job$k" >"job$k.out") & done
wait
expect wait_all "job1 job2 job3 job4" "$(cat job1.out job2.out job3.out job4.out | tr '\n' ' ' | sed 's/ $//')"
coproc BC { while read -r q; do echo $((q * 2)); done; }
bcpid=$BC_PID
echo 21 >&"${BC[1]}"
read -r ans <&"${BC[0]}"
expect coproc 42 "$ans"
eval "exec ${BC[1]}>&-"
wait "$bcpid"
expect coproc_done 0 "$?"

# Redirections and file descriptors.
exec 5>fd5.txt
echo via5 >&5
exec 5>&-
expect fd5 "via5" "$(cat fd5.txt)"
{ echo out; echo err >&2; } >both.txt 2>&1
expect both "out err" "$(tr '\n' ' ' <both.txt | sed 's/ $//')"
echo append >>both.txt
expect append 3 "$(wc -l <both.txt)"
expect noclobber "refused" "$( (set -C; echo x >both.txt) 2>/dev/null || echo refused)"
expect dev_stderr "e" "$({ echo e >/dev/stderr; } 2>&1)"

exit $((fails > 0))
EOF
/bin/bash t.bash
rc=$?
if [ "$rc" = 0 ]; then echo "PASS bash_script_status"; else echo "FAIL bash_script_status: $rc"; fi

# A bash script run through its #! line, and bash as sh (POSIX mode).
printf '#!/bin/bash\necho "shebang ${BASH_VERSINFO[0]:+bash} $#"\n' >sb
chmod +x sb
if [ "$(./sb a b)" = "shebang bash 2" ]; then echo "PASS shebang"; else echo "FAIL shebang: [$(./sb a b)]"; fi
if [ "$($BASH --posix -c 'echo $((1 + 1)); shopt -o posix | cut -f2')" = "$(printf '2\non')" ]; then
	echo "PASS posix_mode"
else
	echo "FAIL posix_mode"
fi

cd / && rm -rf "$D"
[ "$rc" = 0 ]
