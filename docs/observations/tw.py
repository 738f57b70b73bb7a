#!/usr/bin/env python3
"""Small socket programs for the twlab observations (run inside a netns).

  tw.py serve PORT MODE [--seconds S]
      MODE after-peer: read until EOF, then close (the peer closes first)
           never     : accept and never close (CLOSE_WAIT leak)
           first     : close right after accept (the server closes first)
           first-once: like first for one connection, then close the listener too
           greet     : send 100 bytes right after accept, then like after-peer
      --close-delay D: after-peer/greet close D s after the EOF instead of at once.
      --eof-send B: after-peer/greet send B bytes when the EOF arrives.
      Exits by itself after S seconds (default 30).

  tw.py burst DST PORT --count N [--rate R] [--linger0] [--send B] [--hold S] [--out F]
      N connect()+close() from an ephemeral port (optionally SO_LINGER {1,0},
      sending B bytes, sleeping S s before close), serially (rate 0) or paced at
      R connects per second. Prints a JSON summary; --out F writes one line per
      attempt: "i t_close port errno" (t_close: CLOCK_MONOTONIC right after
      close(); port 0 if connect failed).

  tw.py watch STATE [--interval I] [--seconds S] [--out F]
      Poll `ss -tan state STATE` every I s (default 0.1) for at most S s (stops
      early once the state has been seen and is empty again). For each socket
      (local port, peer port) writes "lport pport first_seen last_seen" with
      CLOCK_MONOTONIC times, so lifetimes can be matched with burst --out.

  tw.py lifetimes BURST_OUT WATCH_OUT
      Per socket: last time seen in the state minus the client's close() time,
      and minus the first time seen in the state. Prints n, min, median, max
      and a histogram in 0.25 s bins (the socket died between last_seen and
      last_seen + one poll interval; it entered the state up to one interval
      before first_seen).

  tw.py nstat-delta BEFORE AFTER
      Non-zero differences between two `nstat -asz` outputs.
"""
import argparse, errno, json, os, selectors, socket, struct, subprocess, sys, time


def serve(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    kept, later = [], []
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        while later and later[0][0] <= time.monotonic():
            later.pop(0)[1].close()
        for key, _ in sel.select(timeout=0.02 if later else 0.2):
            s = key.fileobj
            if s is ls:
                while True:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        break
                    if a.mode == "first":
                        c.close()
                    elif a.mode == "first-once":
                        c.close()
                        ls.close()
                        return
                    elif a.mode == "never":
                        kept.append(c)
                    else:
                        if a.mode == "greet":
                            c.sendall(b"g" * 100)
                        c.setblocking(False)
                        sel.register(c, selectors.EVENT_READ)
            else:
                try:
                    d = s.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    d = b""
                if d == b"":
                    sel.unregister(s)
                    if a.eof_send:
                        s.send(b"e" * a.eof_send)
                    if a.close_delay:
                        later.append((time.monotonic() + a.close_delay, s))
                    else:
                        s.close()


def burst(a):
    n = a.count
    ok, fails, ports = 0, {}, []
    per_sec, fail_sec = {}, {}
    out = open(a.out, "w") if a.out else None
    t0 = time.monotonic()
    for i in range(n):
        if a.rate:
            due = t0 + i / a.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
        s = socket.socket()
        if a.linger0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        t = time.monotonic() - t0
        try:
            s.connect((a.dst, a.port))
            port = s.getsockname()[1]
            if a.send:
                s.sendall(b"x" * a.send)
            if a.hold:
                time.sleep(a.hold)
            ok += 1
            ports.append(port)
            per_sec[int(t)] = per_sec.get(int(t), 0) + 1
            err = 0
        except OSError as e:
            port, err = 0, e.errno
            fail_sec[int(t)] = fail_sec.get(int(t), 0) + 1
            fails[errno.errorcode.get(e.errno, str(e.errno))] = fails.get(errno.errorcode.get(e.errno, str(e.errno)), 0) + 1
        s.close()
        if out:
            out.write(f"{i} {time.monotonic():.6f} {port} {err}\n")
    el = time.monotonic() - t0
    even = [p for p in ports if p % 2 == 0]
    lead_even = 0
    for p in ports:
        if p % 2:
            break
        lead_even += 1
    print(json.dumps({
        "attempts": n, "connected": ok, "failed": fails, "elapsed_s": round(el, 3),
        "connected_per_second": [per_sec.get(k, 0) for k in range(int(el) + 1)],
        "failed_per_second": [fail_sec.get(k, 0) for k in range(int(el) + 1)],
        "distinct_ports": len(set(ports)), "even_ports": len(even), "odd_ports": len(ports) - len(even),
        "leading_even": lead_even, "first_ports": ports[:12], "last_ports": ports[-6:],
    }))


def watch(a):
    seen = {}
    end = time.monotonic() + a.seconds
    ever = False
    while time.monotonic() < end:
        t = time.monotonic()
        out = subprocess.run(["ss", "-Htan", "state", a.state], capture_output=True, text=True).stdout
        cur = 0
        for line in out.splitlines():
            f = line.split()
            if len(f) < 4:
                continue
            key = (f[-2].rsplit(":", 1)[1], f[-1].rsplit(":", 1)[1])
            first = seen.get(key, (t, t))[0]
            seen[key] = (first, t)
            cur += 1
        if cur:
            ever = True
        elif ever:
            break
        time.sleep(max(0, a.interval - (time.monotonic() - t)))
    with open(a.out, "w") if a.out else sys.stdout as o:
        for (lp, pp), (f, l) in sorted(seen.items(), key=lambda kv: kv[1][0]):
            o.write(f"{lp} {pp} {f:.6f} {l:.6f}\n")


def lifetimes(a):
    close = {}
    for line in open(a.burst):
        i, t, port, err = line.split()
        if port != "0":
            close[port] = float(t)   # a reused port keeps its last close time
    life, inst = [], []
    for line in open(a.watch):
        lp, pp, f, l = line.split()
        port = lp if lp in close else pp if pp in close else None
        if port:
            life.append(float(l) - close[port])
            inst.append(float(l) - float(f))

    def show(name, v):
        v.sort()
        n = len(v)
        print(f"{name}: n={n} min={v[0]:.3f}s median={v[n // 2]:.3f}s max={v[-1]:.3f}s")
        hist = {}
        for x in v:
            b = int(x * 4) / 4
            hist[b] = hist.get(b, 0) + 1
        print("  histogram (0.25 s bins, start: count): " + ", ".join(f"{k:.2f}:{c}" for k, c in sorted(hist.items())))
    if not life:
        print("no sockets matched"); return
    show("last seen - close()", life)
    show("last seen - first seen", inst)


def nstat_delta(a):
    def load(f):
        d = {}
        for line in open(f):
            p = line.split()
            if len(p) >= 2 and p[1].lstrip("-").isdigit():
                d[p[0]] = int(p[1])
        return d
    b, c = load(a.before), load(a.after)
    for k in sorted(set(b) | set(c)):
        v = c.get(k, 0) - b.get(k, 0)
        if v:
            print(f"  {k} {v}")


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("serve"); s.add_argument("port", type=int)
    s.add_argument("mode", choices=["after-peer", "never", "first", "first-once", "greet"])
    s.add_argument("--seconds", type=float, default=30)
    s.add_argument("--close-delay", type=float, default=0)
    s.add_argument("--eof-send", type=int, default=0)
    b = sp.add_parser("burst"); b.add_argument("dst"); b.add_argument("port", type=int)
    b.add_argument("--count", type=int, required=True); b.add_argument("--rate", type=float, default=0)
    b.add_argument("--linger0", action="store_true"); b.add_argument("--send", type=int, default=0)
    b.add_argument("--hold", type=float, default=0)
    b.add_argument("--out")
    w = sp.add_parser("watch"); w.add_argument("state")
    w.add_argument("--interval", type=float, default=0.1); w.add_argument("--seconds", type=float, default=70)
    w.add_argument("--out")
    l = sp.add_parser("lifetimes"); l.add_argument("burst"); l.add_argument("watch")
    d = sp.add_parser("nstat-delta"); d.add_argument("before"); d.add_argument("after")
    a = p.parse_args()
    {"serve": serve, "burst": burst, "watch": watch, "lifetimes": lifetimes, "nstat-delta": nstat_delta}[a.cmd](a)


if __name__ == "__main__":
    main()
