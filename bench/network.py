#!/usr/bin/env python3
"""Networking benchmark: xc against LXC on the same host bridge.

Measures, for a busybox container with one veth on a bridge:

  static  start-to-usable with a static IPv4 address: from the start command
          until the host gets an ICMP echo reply from the container's address;
  dhcp    start to DHCP address bound: from the start command until the tool's
          own report (xc-info -i / lxc-info -i, polled every 10 ms) shows an
          address from the bridge's DHCP range; split, from the DHCP packets
          seen on the bridge, into start -> DISCOVER, DISCOVER -> ACK and
          ACK -> reported.

The bridge is the bench's own (xcb<random>0 on 10.253.N.0/24), made by
`xc-net start` with its own settings and state directory, so dnsmasq
(--no-ping) answers both xc's and LXC's udhcpc. LXC runs in the same pass
when lxc-start is installed (lxc.net.0.type = veth on the same bridge), and
the ratios xc/LXC of the medians are printed. Everything is removed at the
end (containers, bridge, dnsmasq, nft table), also on failure or Ctrl-C.

Run as root from the repository: python3 bench/network.py [--runs N]
"""

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, remove_lxc_lock  # noqa: E402


def sh(argv, env=None, check=True, timeout=60):
    p = subprocess.run([str(a) for a in argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def wait_ping(addr, deadline):
    """Sends ICMP echo requests to addr until one is answered; returns the time of the reply."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.settimeout(0.01)
    ident = os.getpid() & 0xFFFF
    seq = 0
    try:
        while time.perf_counter() < deadline:
            seq += 1
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            payload = b"xc-bench"
            pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload
            try:
                sock.sendto(pkt, (addr, 0))
            except OSError:
                time.sleep(0.01)
                continue
            end = time.perf_counter() + 0.02
            while time.perf_counter() < end:
                try:
                    data, src = sock.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (data[0] & 0x0F) * 4
                typ, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if src[0] == addr and typ == 0 and rid == ident:
                    return time.perf_counter()
        return None
    finally:
        sock.close()


class DhcpSniffer:
    """Times of the DHCP messages on the bridge (an AF_PACKET socket), to
    split start-to-bound into: start -> DISCOVER (boot to udhcpc), DISCOVER ->
    ACK (the exchange), ACK -> address reported (client script + tool)."""

    def __init__(self, bridge):
        # ETH_P_ALL: a protocol-specific packet socket misses outgoing frames
        # (the server's replies leave through the bridge).
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
        self.sock.bind((bridge, 0))
        self.sock.settimeout(0.005)

    def drain(self):
        try:
            while True:
                self.sock.recv(4096)
        except (socket.timeout, BlockingIOError):
            pass

    def poll(self, seen):
        """Reads what is there; records the first time of each message type in seen."""
        try:
            while True:
                data = self.sock.recv(4096)
                now = time.perf_counter()
                if len(data) < 14 + 20 + 8 + 240 or data[12:14] != b"\x08\x00":
                    continue
                ip = data[14:]
                ihl = (ip[0] & 0x0F) * 4
                if ip[9] != 17:
                    continue
                udp = ip[ihl:]
                sport, dport = struct.unpack("!HH", udp[:4])
                if {sport, dport} != {67, 68}:
                    continue
                opts = udp[8 + 240:]
                i = 0
                while i + 2 <= len(opts) and opts[i] != 255:
                    if opts[i] == 0:
                        i += 1
                        continue
                    if opts[i] == 53:
                        kind = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 5: "ACK"}.get(opts[i + 2])
                        if kind and kind not in seen:
                            seen[kind] = now
                        break
                    i += 2 + opts[i + 1]
        except (socket.timeout, BlockingIOError):
            pass

    def close(self):
        self.sock.close()


class Backend:
    def __init__(self, label, base, env):
        self.label, self.base, self.env = label, base, env

    def poll_ip(self, name, prefix, deadline, sniffer=None, seen=None):
        while time.perf_counter() < deadline:
            if sniffer:
                sniffer.poll(seen)
            out = sh(self.info_ip_cmd(name), env=self.env, check=False).stdout
            for line in out.splitlines():
                m = re.match(r"IP:\s+(\S+)", line)
                if m and m.group(1).startswith(prefix):
                    return time.perf_counter(), m.group(1)
            time.sleep(0.01)
        return None, None


class Xc(Backend):
    def __init__(self, bindir, base, env):
        super().__init__("xc", base, env)
        self.bindir = bindir

    def tool(self, t):
        return os.path.join(self.bindir, t) if self.bindir else t

    def create(self, name, bridge, mac, ipv4=None):
        extra = f' ipv4 = "{ipv4}";' if ipv4 else ""
        conf = os.path.join(self.base, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(f'network = ( {{ type = "veth"; link = "{bridge}"; name = "eth0"; hwaddr = "{mac}";{extra} }} );\n')
        sh([self.tool("xc-create"), "-P", self.base, "-n", name, "-t", "busybox", "-f", conf], env=self.env)

    def start(self, name):
        sh([self.tool("xc-start"), "-P", self.base, "-n", name], env=self.env)

    def stop(self, name):
        sh([self.tool("xc-stop"), "-P", self.base, "-n", name, "-k"], env=self.env, check=False)

    def destroy(self, name):
        sh([self.tool("xc-destroy"), "-P", self.base, "-n", name, "-f"], env=self.env, check=False)

    def info_ip_cmd(self, name):
        return [self.tool("xc-info"), "-P", self.base, "-n", name, "-i"]


class Lxc(Backend):
    def __init__(self, base, env):
        super().__init__("LXC", base, env)

    def create(self, name, bridge, mac, ipv4=None):
        conf = os.path.join(self.base, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(f"lxc.net.0.type = veth\nlxc.net.0.link = {bridge}\nlxc.net.0.flags = up\n"
                    f"lxc.net.0.name = eth0\nlxc.net.0.hwaddr = {mac}\n")
            if ipv4:
                f.write(f"lxc.net.0.ipv4.address = {ipv4}\n")
        sh(["lxc-create", "-P", self.base, "-n", name, "-t", "busybox", "-f", conf], env=self.env, timeout=120)

    def start(self, name):
        sh(["lxc-start", "-P", self.base, "-n", name, "-d"], env=self.env)

    def stop(self, name):
        sh(["lxc-stop", "-P", self.base, "-n", name, "-k"], env=self.env, check=False)

    def destroy(self, name):
        sh(["lxc-destroy", "-P", self.base, "-n", name, "-f"], env=self.env, check=False)

    def info_ip_cmd(self, name):
        return ["lxc-info", "-P", self.base, "-n", name, "-i"]


def mac(i):
    return "00:16:3e:%02x:%02x:%02x" % (0x70 + i, random.randrange(256), random.randrange(256))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="starts per measurement (default 7)")
    ap.add_argument("--xc-bin", metavar="DIR", help="directory of the xc tools (default: ./build, else PATH)")
    ap.add_argument("--no-lxc", action="store_true", help="xc only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("network.py: must run as root")

    bindir = args.xc_bin
    if not bindir:
        for d in (REPO / "build", Path.cwd() / "build"):
            if os.access(d / "xc-start", os.X_OK):
                bindir = str(d)
                break
    env = dict(os.environ)
    if bindir and os.path.exists(os.path.join(bindir, "xc-supervisor")):
        env.setdefault("XC_TEMPLATE_DIR", str(REPO / "templates"))
        env.setdefault("XC_SYSCONF_DIR", str(REPO / "tests/integration/data"))
        env.setdefault("XC_DATA_DIR", str(REPO / "share"))
        env.setdefault("XC_LIBEXEC_DIR", bindir)
    xcnet = os.path.join(bindir, "xc-net") if bindir else "xc-net"

    tmp = tempfile.mkdtemp(prefix="xc-netbench.")
    env["XC_LOG_DIR"] = os.path.join(tmp, "log")
    tag = "%05x" % random.randrange(1 << 20)
    used = sh(["ip", "-o", "addr"]).stdout
    n = next(i for i in random.sample(range(1, 250), 249) if f" 10.253.{i}." not in used)
    bridge = f"xcb{tag}0"
    prefix = f"10.253.{n}."
    netconf = os.path.join(tmp, "xc-net.conf")
    with open(netconf, "w") as f:
        f.write(f'bridge = "{bridge}";\nipv4 = "{prefix}1/24";\nnat = false;\nlease_time = "10m";\n')
    state = os.path.join(tmp, "net-state")
    backends = []
    for sub in ("xc", "lxc"):
        os.makedirs(os.path.join(tmp, sub))
    backends.append(Xc(bindir, os.path.join(tmp, "xc"), env))
    if not args.no_lxc:
        if shutil.which("lxc-start"):
            backends.append(Lxc(os.path.join(tmp, "lxc"), dict(os.environ)))
        else:
            print("lxc-start not installed: xc only", file=sys.stderr)
    created = []
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    results = {}
    try:
        sh([xcnet, "-c", netconf, "-s", state, "start"], env=env)
        for bi, b in enumerate(backends):
            s_name, d_name = f"nb{tag}s{bi}", f"nb{tag}d{bi}"
            static_ip = f"{prefix}{20 + bi}"
            b.create(s_name, bridge, mac(2 * bi), f"{static_ip}/24")
            created.append((b, s_name))
            b.create(d_name, bridge, mac(2 * bi + 1))
            created.append((b, d_name))
            usable, returned, bound = [], [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                b.start(s_name)
                t1 = time.perf_counter()
                t2 = wait_ping(static_ip, t0 + 20)
                b.stop(s_name)
                if t2 is None:
                    raise RuntimeError(f"{b.label}: {static_ip} never answered")
                returned.append(t1 - t0)
                usable.append(t2 - t0)
            to_discover, exchange, to_report = [], [], []
            sniffer = DhcpSniffer(bridge)
            try:
                for _ in range(args.runs):
                    sniffer.drain()
                    seen = {}
                    t0 = time.perf_counter()
                    b.start(d_name)
                    t2, ip = b.poll_ip(d_name, prefix, t0 + 30, sniffer, seen)
                    sniffer.poll(seen)
                    b.stop(d_name)
                    if t2 is None:
                        raise RuntimeError(f"{b.label}: no DHCP address within 30 s")
                    bound.append(t2 - t0)
                    if "DISCOVER" in seen and "ACK" in seen:
                        to_discover.append(seen["DISCOVER"] - t0)
                        exchange.append(seen["ACK"] - seen["DISCOVER"])
                        to_report.append(t2 - seen["ACK"])
            finally:
                sniffer.close()
            results[b.label] = {"start returns": returned, "start to usable (static)": usable,
                                "start to DHCP bound": bound}
            if to_discover:
                results[b.label].update({"  start to DISCOVER": to_discover, "  DISCOVER to ACK": exchange,
                                         "  ACK to reported": to_report})
    finally:
        for b, name in created:
            b.stop(name)
            b.destroy(name)
        sh([xcnet, "-c", netconf, "-s", state, "stop"], env=env, check=False)
        remove_lxc_lock(tmp)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"network benchmark: {args.runs} runs each, busybox, one veth on {bridge} "
          f"(dnsmasq --no-ping); medians in ms")
    labels = list(results)
    print(f"{'measure':28}" + "".join(f"{l:>10}" for l in labels) + ("   xc/LXC" if len(labels) == 2 else ""))
    for key in results[labels[0]]:
        if not all(key in results[l] for l in labels):
            continue
        med = [statistics.median(results[l][key]) * 1000 for l in labels]
        row = f"{key:28}" + "".join(f"{m:10.1f}" for m in med)
        if len(labels) == 2:
            row += f"   {med[0] / med[1]:6.2f}"
        print(row)
    for l in labels:
        for key, v in results[l].items():
            print(f"  {l} {key}: min {min(v) * 1000:.1f} max {max(v) * 1000:.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
