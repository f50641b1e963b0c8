#!/bin/sh
# shellcheck disable=SC2002,SC2005,SC2012,SC2018,SC2019,SC2034,SC2038,SC2116,SC2181 # the utilities are exercised on purpose
# busybox sh: pipes, redirections, here-documents, command substitution,
# exit statuses. Prints "PASS name" or "FAIL name: ..." per check.
fails=0
expect() { # name want got
	if [ "$3" = "$2" ]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; fails=$((fails + 1)); fi
}
D=${TMPDIR:-/tmp}/sh_redirect.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

expect pipe "HELLO" "$(echo hello | tr a-z A-Z)"
expect pipe3 "3" "$(printf 'a\nb\nc\n' | cat | wc -l | tr -d ' ')"
echo one >f; echo two >>f
expect append "one two" "$(cat f | tr '\n' ' ' | sed 's/ $//')"
expect stdin "2" "$(wc -l <f | tr -d ' ')"
ls /nonexistent-path >out 2>&1
expect stderr_to_stdout 1 "$(grep -c nonexistent-path out)"
ls /nonexistent-path 2>/dev/null
expect exit_status_nonzero 1 "$([ $? -ne 0 ] && echo 1)"
{ echo a; echo b >&2; } 2>err >outp
expect split_streams "a/b" "$(cat outp)/$(cat err)"
exec 3>fd3; echo via3 >&3; exec 3>&-
expect fd3 "via3" "$(cat fd3)"
cat <<EOT >heredoc
x=$((1 + 2))
EOT
expect heredoc "x=3" "$(cat heredoc)"
expect pipeline_last 0 "$(false | true; echo $?)"
expect not 1 "$(! true; echo $?)"
expect subshell "in" "$( (cd /; echo in) )"
expect cwd_kept "$D" "$(pwd)"
expect and_or "ok" "$(false && echo no || echo ok)"
expect noclobber "1" "$( (set -C; echo x >f) 2>/dev/null || echo 1)"
expect read_line "b c" "$(echo 'a b c' | { read -r x rest; echo "$rest"; })"
big=$(dd if=/dev/zero bs=1024 count=200 2>/dev/null | wc -c | tr -d ' ')
expect big_pipe 204800 "$big"
expect tee "t t" "$(echo t | tee teeout | cat - teeout | tr '\n' ' ' | sed 's/ $//')"
expect arith 42 "$((6 * 7))"
expect exit_code 7 "$(sh -c 'exit 7'; echo $?)"
# A pipe reopened through /proc/self/fd: no FIFO rendezvous, O_CREAT and
# O_TRUNC (>) and O_APPEND (>>) on it are fine.
expect proc_fd_pipe_w "e" "$({ echo e >/proc/self/fd/1; })"
expect proc_fd_pipe_a "e" "$({ echo e >>/proc/self/fd/1; })"
expect proc_fd_pipe_r "x" "$(echo x | cat /proc/self/fd/0)"
expect proc_fd_pipe_closed "x" "$(echo x | { sleep 0.2; cat /proc/self/fd/0; })"

cd / && rm -rf "$D"
exit $fails
