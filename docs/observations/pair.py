#!/usr/bin/env python3
"""Client/peer programs for the packet-trace cases (run inside a netns).

  pair.py reconnect DST PORT [--pause S]
      Connect from a port bound with SO_REUSEADDR, wait for the server's FIN
      (the server closes first), close, sleep S s (default 0.2), then connect
      again from the same local port (SO_REUSEADDR). Prints what happened.

  pair.py rebind DST PORT [--pause S]
      The client closes first (its own TIME_WAIT), then after S s binds the same
      port with SO_REUSEADDR and connects to the same destination again.

  pair.py simclose (client DST PORT | server PORT) --at T
      Established connection; at CLOCK_MONOTONIC time T both sides send one
      byte, read the peer's byte, and at T+0.010 close(). Run one of each role.
"""
import argparse, errno, json, socket, time


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
    m = sp.add_parser("simclose"); m.add_argument("role", choices=["client", "server"])
    m.add_argument("rest", nargs="+"); m.add_argument("--at", type=float, required=True)
    a = p.parse_args()
    if a.cmd == "simclose":
        if a.role == "client":
            a.dst, a.port = a.rest[0], int(a.rest[1])
        else:
            a.port = int(a.rest[0])
    {"reconnect": reconnect, "rebind": rebind, "simclose": simclose}[a.cmd](a)


if __name__ == "__main__":
    main()
