#!/bin/sh
# Debian's python3 (dynamically linked: libc, libm, libz, libexpat) with its
# standard library: `python3 -c`, then a script with four threads appending
# results under a Lock, a Barrier, a Condition, json round trips, os
# (getpid/getppid, listdir, stat, fork/waitpid, pipe, rename), signals,
# subprocess (with pipes, input, exit codes, a timeout), tempfile and hashlib.
# The script prints "PASS name" or "FAIL name: ..." per check.
fails=0
expect() { # name want got
	if [ "$3" = "$2" ]; then echo "PASS $1"; else echo "FAIL $1: got [$3] want [$2]"; fails=$((fails + 1)); fi
}
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then echo "FAIL setup: no $PY in the image"; exit 1; fi
D=${TMPDIR:-/tmp}/sh_python.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

expect version "Python 3.11" "$($PY --version 2>&1 | cut -d. -f1-2)"
expect dash_c "42" "$($PY -c 'print(6 * 7)')"
expect dash_c_import "threading json os" "$($PY -c 'import threading, json, os; print(threading.__name__, json.__name__, os.name and "os")')"
expect exit_code "3" "$($PY -c 'import sys; sys.exit(3)'; echo $?)"
expect stdin_script "7" "$(echo 'print(3 + 4)' | $PY -)"
expect exception "1 ZeroDivisionError" "$($PY -c '1/0' 2>err; echo "$? $(tail -n 1 err | cut -d: -f1)")"

cat >t.py <<'EOF'
import hashlib, json, os, signal, stat, subprocess, sys, tempfile, threading, time

fails = 0


def check(name, got, want):
    global fails
    if got == want:
        print("PASS", name)
    else:
        print("FAIL %s: got %r want %r" % (name, got, want))
        fails += 1


# Four threads compute disjoint sums and append them under a Lock.
lock = threading.Lock()
results = []
idents = set()


def work(k):
    s = sum(i * i for i in range(k * 20000, (k + 1) * 20000))
    with lock:
        results.append((k, s))
        idents.add(threading.get_native_id())


threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
want = [(k, sum(i * i for i in range(k * 20000, (k + 1) * 20000))) for k in range(4)]
check("threads_results", sorted(results), want)
check("threads_distinct_tids", len(idents), 4)
check("threads_joined", threading.active_count(), 1)

# A shared counter under a Lock: no lost update.
counter = [0]


def bump():
    for _ in range(5000):
        with lock:
            counter[0] += 1


threads = [threading.Thread(target=bump) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("lock_counter", counter[0], 20000)

# A Barrier: every thread sees all four arrive before any leaves.
barrier = threading.Barrier(4)
arrived = []


def meet(k):
    with lock:
        arrived.append(k)
    barrier.wait()
    with lock:
        seen.append(len(arrived))


seen = []
threads = [threading.Thread(target=meet, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("barrier", seen, [4, 4, 4, 4])

# Producer/consumer with a Condition.
cond = threading.Condition()
queue = []
consumed = []


def consumer():
    while True:
        with cond:
            while not queue:
                cond.wait()
            v = queue.pop(0)
        if v is None:
            return
        consumed.append(v)


c = threading.Thread(target=consumer)
c.start()
for v in list(range(100)) + [None]:
    with cond:
        queue.append(v)
        cond.notify()
c.join(30)
check("condition", consumed, list(range(100)))

# An Event with a timeout: wait returns False after at least the timeout.
ev = threading.Event()
t0 = time.monotonic()
check("event_timeout", ev.wait(0.2), False)
check("event_waited", time.monotonic() - t0 >= 0.2, True)

# json round trips.
obj = {"name": "skiff", "n": [1, 2.5, None, True, False], "nested": {"k": "\u00e9\u20ac"}, "big": 2**53}
s = json.dumps(obj, sort_keys=True)
check("json_dumps", s, '{"big": 9007199254740992, "n": [1, 2.5, null, true, false], '
      '"name": "skiff", "nested": {"k": "\\u00e9\\u20ac"}}')
check("json_roundtrip", json.loads(s), obj)
with open("obj.json", "w") as f:
    json.dump(obj, f, indent=2)
with open("obj.json") as f:
    check("json_file", json.load(f), obj)
try:
    json.loads("{bad")
    check("json_error", "no error", "JSONDecodeError")
except json.JSONDecodeError as e:
    check("json_error", (e.lineno, e.colno), (1, 2))

# os: ids, directories, stat, rename, fork/waitpid, pipes.
check("getpid", os.getpid(), int(open("/proc/self/stat").read().split()[0]))
check("getppid", os.getppid(), int(sys.argv[1]))
os.makedirs("d/e/f")
for n in ("c", "a", "b"):
    with open(os.path.join("d", n), "w") as f:
        f.write(n * 10)
check("listdir", sorted(os.listdir("d")), ["a", "b", "c", "e"])
check("scandir_files", sorted(e.name for e in os.scandir("d") if e.is_file()), ["a", "b", "c"])
os.chmod("d/a", 0o640)
st = os.stat("d/a")
check("stat_size", st.st_size, 10)
check("stat_mode", (stat.S_ISREG(st.st_mode), stat.S_IMODE(st.st_mode)), (True, 0o640))
check("stat_dir", stat.S_ISDIR(os.stat("d/e").st_mode), True)
os.rename("d/c", "d/e/f/c")
check("rename", (os.path.exists("d/c"), open("d/e/f/c").read()), (False, "cccccccccc"))
check("walk", sorted(os.path.join(r, f) for r, _, fs in os.walk("d") for f in fs),
      ["d/a", "d/b", "d/e/f/c"])
os.symlink("a", "d/link")
check("readlink", os.readlink("d/link"), "a")
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"child %d" % os.getpid())
    os._exit(5)
os.close(w)
msg = os.read(r, 100)
os.close(r)
wpid, status = os.waitpid(pid, 0)
check("fork_pipe", msg, b"child %d" % pid)
check("waitpid", (wpid, os.WIFEXITED(status), os.WEXITSTATUS(status)), (pid, True, 5))
check("environ", os.environ.get("SH_PYTHON_VAR"), "set by sh")

# Signals to ourselves and to a child.
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
check("signal_self", got, [signal.SIGUSR1])
pid = os.fork()
if pid == 0:
    time.sleep(30)
    os._exit(0)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
check("signal_child", (os.WIFSIGNALED(status), os.WTERMSIG(status)), (True, signal.SIGTERM))

# subprocess.
p = subprocess.run(["/bin/echo", "hello", "world"], capture_output=True)
check("subprocess_echo", (p.returncode, p.stdout), (0, b"hello world\n"))
p = subprocess.run(["sort"], input=b"b\nc\na\n", capture_output=True)
check("subprocess_input", p.stdout, b"a\nb\nc\n")
check("subprocess_false", subprocess.run(["false"]).returncode, 1)
check("subprocess_shell", subprocess.check_output("echo $((2 + 3)) | tr 5 6", shell=True), b"6\n")
try:
    subprocess.run(["sleep", "5"], timeout=0.3)
    check("subprocess_timeout", "finished", "TimeoutExpired")
except subprocess.TimeoutExpired:
    check("subprocess_timeout", "TimeoutExpired", "TimeoutExpired")
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    check("subprocess_enoent", e.errno, 2)
procs = [subprocess.Popen([sys.executable, "-c", "import sys; print(int(sys.argv[1]) ** 2)", str(k)],
                          stdout=subprocess.PIPE) for k in range(3)]
check("subprocess_parallel", [int(p.communicate()[0]) for p in procs], [0, 1, 4])

# tempfile and hashlib.
with tempfile.TemporaryDirectory() as td:
    with open(os.path.join(td, "x"), "wb") as f:
        f.write(b"abc")
    check("tempfile", os.listdir(td), ["x"])
check("tempfile_gone", os.path.exists(td), False)
check("sha256", hashlib.sha256(b"abc").hexdigest(),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
check("md5", hashlib.md5(b"skiff").hexdigest(), "7dfe660e236785cbe4196e1873dd7472")

sys.exit(1 if fails else 0)
EOF
SH_PYTHON_VAR="set by sh" $PY t.py $$
expect script_status "0" "$?"

cd / && rm -rf "$D"
exit $fails
