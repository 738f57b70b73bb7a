#!/usr/bin/env python3
"""Send one hand-made TCP segment from a raw socket (run inside the sender's netns).

  inject.py SRC SPORT DST DPORT --seq N --ack N --flags A|FA|R|RA|S [--tsval V --tsecr E]

Without --tsval the segment carries no options. The kernel adds the IP header.
"""
import argparse, socket, struct

FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src"); p.add_argument("sport", type=int)
    p.add_argument("dst"); p.add_argument("dport", type=int)
    p.add_argument("--seq", type=int, required=True); p.add_argument("--ack", type=int, default=0)
    p.add_argument("--flags", required=True); p.add_argument("--win", type=int, default=64)
    p.add_argument("--tsval", type=int); p.add_argument("--tsecr", type=int, default=0)
    a = p.parse_args()
    opts = b""
    if a.tsval is not None:
        opts = struct.pack("!BBBBII", 1, 1, 8, 10, a.tsval % 2**32, a.tsecr % 2**32)
    flags = sum(FLAGS[c] for c in a.flags)
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", a.sport, a.dport, a.seq % 2**32, a.ack % 2**32,
                      off << 4, flags, a.win, 0, 0)
    seg = hdr + opts
    pseudo = socket.inet_aton(a.src) + socket.inet_aton(a.dst) + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((a.src, 0))
    s.sendto(seg, (a.dst, 0))


if __name__ == "__main__":
    main()
