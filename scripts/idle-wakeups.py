#!/usr/bin/env python3
"""Measure terminald's idle wakeups: context switches per second of the simulator.

Usage: scripts/idle-wakeups.py BINARY [SECONDS]

BINARY is a terminald built with the sim tag (go build -tags sim -o /tmp/terminald
./cmd/terminald). For each case the simulator is started with its own state directory,
left alone until it is ready, and then the voluntary and involuntary context switches of
all its threads (/proc/PID/task/*/status) are summed over SECONDS (default 10):

  idle            the idle screen, no register link
  qr              a QR shown, the customer never pays (countdown redraw, polling)
  idle+serial     the idle screen with a register on a serial line (a pty)

A context switch is a thread going to sleep or being preempted: each wakeup costs at
least one. Issue 19's goal: at most 10 per second in every case.
"""
import os
import pty
import subprocess
import sys
import tempfile
import time


def switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread ended meanwhile
    return total


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
            return (b - a) / seconds
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
    for name, kw in [("idle", {}), ("qr", {"keys": "1234\n"}), ("idle+serial", {"serial": True})]:
        print(f"{name:12s} {measure(binary, seconds, **kw):6.1f} context switches/s", flush=True)


if __name__ == "__main__":
    main()
