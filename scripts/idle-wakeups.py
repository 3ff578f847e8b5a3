#!/usr/bin/env python3
"""Measure terminald's idle wakeups: context switches per second of the simulator.

Usage: scripts/idle-wakeups.py BINARY [SECONDS [RUNS]]

BINARY is a terminald built with the sim tag (go build -tags sim -o /tmp/terminald
./cmd/terminald). For each case the simulator is started with its own state directory,
left alone until it is ready, and then the voluntary and involuntary context switches of
all its threads (/proc/PID/task/*/status) are summed over SECONDS (default 10), RUNS
times (default 3; the median is printed, with the range):

  idle            the idle screen, no register link
  qr              a QR shown, the customer never pays (countdown redraw, polling)
  idle+serial     the idle screen with a register on a serial line (a pty)

A context switch is a thread going to sleep (voluntary) or being preempted
(involuntary): each wakeup costs at least one voluntary switch. Involuntary switches
grow with the machine's load (other processes taking the CPU), so on a shared machine
the voluntary column is the daemon's own figure. Issue 19's goal: at most 10 per second
idle, with and without a register link.
"""
import os
import pty
import subprocess
import sys
import tempfile
import time


def switches(pid):
    """Voluntary and involuntary context switches of all of pid's threads."""
    vol = invol = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread ended meanwhile
    return vol, invol


def measure(binary, seconds, keys="", serial=False):
    with tempfile.TemporaryDirectory() as d:
        args = [binary, "sim", "--state", d, "--pay-after", "never", "--log-level", "warn"]
        master = None
        if serial:
            master, slave = pty.openpty()
            args += ["--ecr", "serial:" + os.ttyname(slave)]
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        try:
            line = b""
            deadline = time.monotonic() + 30
            while b"terminald sim: ready" not in line:
                if time.monotonic() > deadline:
                    raise SystemExit("simulator not ready within 30 s")
                line = p.stderr.readline()
                if not line and p.poll() is not None:
                    raise SystemExit("simulator exited before it was ready")
            if keys:
                p.stdin.write(keys.encode())
                p.stdin.flush()
            time.sleep(3)  # let start-up and the QR's first screens pass
            a = switches(p.pid)
            time.sleep(seconds)
            b = switches(p.pid)
            return (b[0] - a[0]) / seconds, (b[1] - a[1]) / seconds
        finally:
            p.terminate()
            p.wait()
            if master is not None:
                os.close(master)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    print(f"{'case':12s} {'voluntary/s':>18s} {'involuntary/s':>18s} {'total/s':>8s}   (median of {runs} × {seconds:g} s, range)")
    for name, kw in [("idle", {}), ("qr", {"keys": "1234\n"}), ("idle+serial", {"serial": True})]:
        got = [measure(binary, seconds, **kw) for _ in range(runs)]
        vol = sorted(g[0] for g in got)
        inv = sorted(g[1] for g in got)
        tot = sorted(g[0] + g[1] for g in got)
        med = lambda xs: xs[len(xs) // 2]
        print(f"{name:12s} {med(vol):6.1f} ({vol[0]:.1f}–{vol[-1]:.1f}) {med(inv):6.1f} ({inv[0]:.1f}–{inv[-1]:.1f}) {med(tot):8.1f}", flush=True)


if __name__ == "__main__":
    main()
