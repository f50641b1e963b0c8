#!/bin/sh
# Debian's python3 over AF_UNIX sockets, through its standard library:
# socket.socketpair, send_fds/recv_fds (SCM_RIGHTS) with a forked child,
# socketserver.ThreadingUnixStreamServer with client threads, datagrams
# to a bound path with recvfrom, a forked client seen through
# SO_PEERCRED, and a non-blocking server driven by selectors.PollSelector.
# The script prints "PASS name" or "FAIL name: ..." per check.
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then echo "FAIL setup: no $PY in the image"; exit 1; fi
D=${TMPDIR:-/tmp}/sh_python_unix.$$
rm -rf "$D"
if ! mkdir -p "$D" || ! cd "$D"; then echo "FAIL setup: no $D"; exit 1; fi

cat >t.py <<'EOF'
import os, selectors, socket, socketserver, struct, sys, threading

fails = 0


def check(name, got, want):
    global fails
    if got == want:
        print("PASS", name)
    else:
        print("FAIL %s: got %r want %r" % (name, got, want))
        fails += 1


D = sys.argv[1]

# socketpair: both directions, then EOF after close.
a, b = socket.socketpair()
a.sendall(b"ping")
check("socketpair", b.recv(16), b"ping")
b.sendall(b"pong" * 1000)
got = b""
while len(got) < 4000:
    got += a.recv(65536)
check("socketpair_bulk", got, b"pong" * 1000)
b.close()
check("socketpair_eof", a.recv(16), b"")
a.close()

# SCM_RIGHTS: the child receives a pipe's write end and writes into it.
a, b = socket.socketpair()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    a.close()
    msg, fds, flags, addr = socket.recv_fds(b, 16, 4)
    os.write(fds[0], b"from child " + msg)
    os._exit(0)
b.close()
socket.send_fds(a, [b"hi"], [w])
os.close(w)
check("send_fds", os.read(r, 64), b"from child hi")
check("send_fds_eof", os.read(r, 64), b"")
_, st = os.waitpid(pid, 0)
check("send_fds_child", os.WEXITSTATUS(st), 0)
os.close(r)
a.close()


# A threading server on a path, three clients at once.
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        self.wfile.write(line.upper())


path = os.path.join(D, "srv.sock")
srv = socketserver.ThreadingUnixStreamServer(path, Echo)
t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
t.start()
check("server_node", os.path.exists(path) and not os.path.isfile(path), True)
res = {}


def client(i):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        c.sendall(b"client %d\n" % i)
        res[i] = c.makefile("rb").readline()


cs = [threading.Thread(target=client, args=(i,)) for i in range(3)]
for c in cs:
    c.start()
for c in cs:
    c.join()
srv.shutdown()
srv.server_close()
t.join()
check("threading_server", [res[i] for i in range(3)], [b"CLIENT %d\n" % i for i in range(3)])

# Datagrams to a bound path; the reply goes to the client's own path.
sp, cp = os.path.join(D, "d.sock"), os.path.join(D, "c.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sp)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.bind(cp)
c.sendto(b"question", sp)
data, addr = s.recvfrom(64)
check("dgram_recvfrom", (data, addr), (b"question", cp))
s.sendto(b"answer", addr)
check("dgram_reply", c.recv(64), b"answer")
s.close()
c.close()

# A forked client; the server sees it in SO_PEERCRED.
lp = os.path.join(D, "fork.sock")
lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
lst.bind(lp)
lst.listen(1)
pid = os.fork()
if pid == 0:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(lp)
    c.sendall(b"21")
    os._exit(0 if c.recv(8) == b"42" else 1)
conn, _ = lst.accept()
cred = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
conn.sendall(b"%d" % (int(conn.recv(8)) * 2))
_, st = os.waitpid(pid, 0)
check("fork_client", (os.WEXITSTATUS(st), cred[0], cred[1]), (0, pid, os.geteuid()))
conn.close()
lst.close()


# A non-blocking server driven by selectors.PollSelector (poll(2)):
# accept, read, reply, for two clients in threads.
pp = os.path.join(D, "poll.sock")
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(pp)
ls.listen(4)
ls.setblocking(False)
sel = selectors.PollSelector()
sel.register(ls, selectors.EVENT_READ)
replies = {}


def pclient(i):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(pp)
        c.sendall(b"abc%d" % i)
        replies[i] = c.recv(16)


cs = [threading.Thread(target=pclient, args=(i,)) for i in range(2)]
for c in cs:
    c.start()
served = 0
while served < 2:
    for key, ev in sel.select(timeout=10):
        if key.fileobj is ls:
            conn, _ = ls.accept()
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ)
        else:
            data = key.fileobj.recv(16)
            key.fileobj.sendall(data[::-1])
            sel.unregister(key.fileobj)
            key.fileobj.close()
            served += 1
for c in cs:
    c.join()
sel.close()
ls.close()
check("poll_server", [replies[0], replies[1]], [b"0cba", b"1cba"])

sys.exit(1 if fails else 0)
EOF

timeout 50 "$PY" t.py "$D"
rc=$?
[ "$rc" = 0 ] || echo "FAIL python: exit status $rc"
cd / && rm -rf "$D"
