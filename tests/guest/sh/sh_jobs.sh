#!/bin/sh
# shellcheck disable=SC2002,SC2005,SC2012,SC2018,SC2019,SC2034,SC2038,SC2116,SC2181,SC2016 # the utilities are exercised on purpose
# busybox sh process control: background jobs with &, $!, wait and its
# status, jobs, kill, sleep, ps, trap, subshell signals.
fails=0
expect() { # name want got
	if [ "$3" = "$2" ]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; fails=$((fails + 1)); fi
}
D=${TMPDIR:-/tmp}/sh_jobs.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

(sleep 0.2; echo 'done' >bg.out) &
pid=$!
expect bang_is_pid "1" "$([ "$pid" -gt 1 ] && echo 1)"
jobs >jobs.out # (jobs in a $(...) subshell would list the subshell's none)
expect jobs_running "1" "$(grep -c 'Running' jobs.out)"
expect bg_not_yet "no" "$([ -e bg.out ] && echo yes || echo no)"
wait $pid
expect wait_status "0" "$?"
expect bg_done "done" "$(cat bg.out)"
jobs >jobs.out
expect jobs_empty "" "$(cat jobs.out)"

(exit 3) &
wait $!
expect wait_exit_code "3" "$?"

sleep 10 &
spid=$!
expect ps_sees "1" "$(ps | awk -v p="$spid" '$1 == p' | grep -c sleep)"
expect proc_cmdline "sleep10" "$(tr '\0' ' ' </proc/$spid/cmdline | tr -d ' ')"
kill $spid
wait $spid 2>/dev/null # (the shell reports "Terminated" on stderr)
expect killed_status "143" "$?"
expect gone "no" "$([ -d /proc/$spid ] && echo yes || echo no)"

sleep 10 &
spid=$!
kill -KILL $spid
wait $spid 2>/dev/null
expect sigkill_status "137" "$?"

# Several jobs, one wait for all.
for i in 1 2 3; do (sleep 0.1; echo $i >job.$i) & done
wait
expect wait_all "1 2 3" "$(cat job.1 job.2 job.3 | tr '\n' ' ' | sed 's/ $//')"

# trap in a child shell.
out=$(sh -c 'trap "echo caught; exit 0" USR1; kill -USR1 $$; sleep 5; echo not-caught')
expect trap_usr1 "caught" "$out"
out=$(sh -c 'trap "" INT; kill -INT $$; echo survived')
expect trap_ignore "survived" "$out"
expect exit_trap "bye" "$(sh -c 'trap "echo bye" EXIT; true')"

# sleep is accurate enough.
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 0.3
t1=$(cut -d' ' -f1 /proc/uptime)
expect sleep_time "1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; print (d >= 0.28 && d < 5) ? 1 : 0 }')"

# A pipeline of many processes.
expect long_pipeline "5" "$(seq 5 | cat | cat | cat | cat | cat | tail -n 1)"
# Command substitution inside a background job, waited for.
(echo "$(echo nested)" >nested.out) &
wait $!
expect nested "nested" "$(cat nested.out)"
# nohup-style: a background job survives its parent shell's exit.
sh -c '(sleep 0.2; echo orphan >orphan.out) & exit 0'
sleep 0.5
expect orphan "orphan" "$(cat orphan.out 2>/dev/null)"

# Job control by signals: a stopped job (state T in /proc and ps) keeps a
# SIGTERM pending until SIGCONT; SIGKILL needs no SIGCONT.
sleep 10 &
spid=$!
kill -STOP $spid
sleep 0.1
expect stopped_state "T" "$(cut -d' ' -f3 /proc/$spid/stat)"
expect ps_stat_T "T" "$(ps -o pid,stat | awk -v p="$spid" '$1 == p { print substr($2, 1, 1) }')"
kill -TERM $spid
sleep 0.1
expect term_pending "T" "$(cut -d' ' -f3 /proc/$spid/stat)"
kill -CONT $spid
wait $spid 2>/dev/null
expect cont_then_term "143" "$?"
sleep 10 &
spid=$!
kill -STOP $spid
kill -KILL $spid
wait $spid 2>/dev/null
expect kill_stopped "137" "$?"
# A stopped job continued runs to its end.
(sleep 0.2; echo resumed >resumed.out) &
spid=$!
kill -STOP $spid
sleep 0.3
expect stopped_no_output "no" "$([ -e resumed.out ] && echo yes || echo no)"
kill -CONT $spid
wait $spid
expect continued "0 resumed" "$? $(cat resumed.out 2>/dev/null)"
# xargs running two at a time.
expect xargs_parallel "1 2 3 4" "$(seq 4 | xargs -P 2 -n 1 sh -c 'sleep 0.1; echo $0' | sort | tr '\n' ' ' | sed 's/ $//')"
# kill -0 probes.
sleep 10 &
spid=$!
expect kill_0 "0" "$(kill -0 $spid; echo $?)"
kill $spid
wait $spid 2>/dev/null
expect kill_0_gone "1" "$(kill -0 $spid 2>/dev/null; echo $?)"

cd / && rm -rf "$D"
exit $fails
