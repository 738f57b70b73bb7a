#!/usr/bin/env python3
"""Client/peer programs for the packet-trace cases (run inside a netns).

  pair.py reconnect DST PORT [--pause S]
      Connect from a port bound with SO_REUSEADDR, wait for the server's FIN
      (the server closes first), close, sleep S s (default 0.2), then connect
      again from the same local port (SO_REUSEADDR). Prints what happened.

  pair.py rebind DST PORT [--pause S]
      The client closes first (its own TIME_WAIT), then after S s binds the same
      port with SO_REUSEADDR and connects to the same destination again.

  pair.py halfclose DST PORT --hold S
      Connect, shutdown(SHUT_WR) without close(), keep the socket S s, then exit.

  pair.py bindtw DST PORT
      For each combination of SO_REUSEADDR on the first socket (which closes first
      and leaves a TIME_WAIT) and on a second socket: bind() the second one to the
      same local port. Prints the four results.

  pair.py lingerclose DST PORT --linger S
      Connect, set SO_LINGER {1, S}, close(); prints how long close() blocked.

  pair.py synsentclose DST PORT
      Non-blocking connect(), close() 0.1 s later while still in SYN_SENT.

  pair.py simclose (client DST PORT | server PORT) --at T
      Established connection; at CLOCK_MONOTONIC time T both sides send one
      byte, read the peer's byte, and at T+0.010 close(). Run one of each role.
"""
import argparse, errno, json, socket, struct, time


def until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)


def bound_socket(port=0):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    return s


def try_connect(s, dst, port):
    t = time.monotonic()
    try:
        s.connect((dst, port))
        return "connected", time.monotonic() - t
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno)), time.monotonic() - t


def reconnect(a):
    s = bound_socket()
    s.connect((a.dst, a.port))
    lport = s.getsockname()[1]
    eof = s.recv(10) == b""
    s.close()
    time.sleep(a.pause)
    s2 = bound_socket(lport)
    res, dt = try_connect(s2, a.dst, a.port)
    print(json.dumps({"local_port": lport, "first_got_eof": eof,
                      "second_connect": res, "second_connect_took_s": round(dt, 4)}))
    if res == "connected":
        time.sleep(0.1)
    s2.close()


def rebind(a):
    s = bound_socket()
    s.connect((a.dst, a.port))
    lport = s.getsockname()[1]
    s.close()
    time.sleep(a.pause)
    try:
        s2 = bound_socket(lport)
    except OSError as e:
        print(json.dumps({"local_port": lport, "bind": errno.errorcode.get(e.errno)}))
        return
    res, dt = try_connect(s2, a.dst, a.port)
    print(json.dumps({"local_port": lport, "bind": "ok", "second_connect": res,
                      "second_connect_took_s": round(dt, 4)}))
    s2.close()


def halfclose(a):
    s = socket.socket()
    s.connect((a.dst, a.port))
    s.shutdown(socket.SHUT_WR)
    print(json.dumps({"local_port": s.getsockname()[1], "shutdown": "SHUT_WR"}), flush=True)
    time.sleep(a.hold)
    s.close()


def bindtw(a):
    res = {}
    for first in (0, 1):
        for second in (0, 1):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, first)
            s.connect((a.dst, a.port))
            lport = s.getsockname()[1]
            s.close()
            time.sleep(0.05)
            s2 = socket.socket()
            s2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, second)
            try:
                s2.bind(("0.0.0.0", lport))
                r = "ok"
            except OSError as e:
                r = errno.errorcode.get(e.errno)
            s2.close()
            res[f"tw_reuseaddr={first},new_reuseaddr={second}"] = r
    print(json.dumps(res))


def lingerclose(a):
    s = socket.socket()
    s.connect((a.dst, a.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, a.linger))
    t = time.monotonic()
    try:
        s.close()
        r = "ok"
    except OSError as e:
        r = errno.errorcode.get(e.errno)
    print(json.dumps({"linger_s": a.linger, "close": r, "close_blocked_s": round(time.monotonic() - t, 3)}))


def synsentclose(a):
    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex((a.dst, a.port))
    time.sleep(0.1)
    s.close()
    print(json.dumps({"connect_ex": errno.errorcode.get(r, r), "closed_after_s": 0.1}))


def simclose(a):
    if a.role == "server":
        ls = bound_socket(a.port)
        ls.listen(1)
        s, _ = ls.accept()
        ls.close()
    else:
        s = socket.socket()
        s.connect((a.dst, a.port))
    until(a.at)
    s.send(b"x")
    got = s.recv(1)
    until(a.at + 0.010)
    t = time.monotonic()
    s.close()
    print(json.dumps({"role": a.role, "got": got.decode(), "closed_at_minus_T_ms": round((t - a.at) * 1000, 3)}))


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    for name in ("reconnect", "rebind"):
        r = sp.add_parser(name); r.add_argument("dst"); r.add_argument("port", type=int)
        r.add_argument("--pause", type=float, default=0.2)
    b = sp.add_parser("bindtw"); b.add_argument("dst"); b.add_argument("port", type=int)
    g = sp.add_parser("lingerclose"); g.add_argument("dst"); g.add_argument("port", type=int)
    g.add_argument("--linger", type=int, default=1)
    k = sp.add_parser("synsentclose"); k.add_argument("dst"); k.add_argument("port", type=int)
    h = sp.add_parser("halfclose"); h.add_argument("dst"); h.add_argument("port", type=int)
    h.add_argument("--hold", type=float, default=8)
    m = sp.add_parser("simclose"); m.add_argument("role", choices=["client", "server"])
    m.add_argument("rest", nargs="+"); m.add_argument("--at", type=float, required=True)
    a = p.parse_args()
    if a.cmd == "simclose":
        if a.role == "client":
            a.dst, a.port = a.rest[0], int(a.rest[1])
        else:
            a.port = int(a.rest[0])
    {"reconnect": reconnect, "rebind": rebind, "halfclose": halfclose, "bindtw": bindtw, "lingerclose": lingerclose,
     "synsentclose": synsentclose, "simclose": simclose}[a.cmd](a)


if __name__ == "__main__":
    main()
