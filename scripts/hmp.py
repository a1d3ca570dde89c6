#!/usr/bin/env python3
"""Send HMP commands to a QEMU monitor socket and print the answers.

usage: hmp.py SOCKET COMMAND...

For a VM that hangs: scripts/check.sh asks a test VM's QEMU, and
selftests/smoke/nested_guest.sh the nested guest's, where its vCPUs are
("info registers") before killing it.  Each answer is waited for at most
10 s; the monitor's echo of the command and the FPU/SSE registers are
left out.
"""
import socket
import sys

sock = socket.socket(socket.AF_UNIX)
sock.settimeout(10)
try:
    sock.connect(sys.argv[1])
except OSError as e:
    print(f"monitor {sys.argv[1]}: {e}")
    sys.exit(1)


def reply():
    out = b""
    try:
        while not out.endswith(b"(qemu) "):
            data = sock.recv(65536)
            if not data:
                break
            out += data
    except socket.timeout:
        out += b"\n(no answer within 10 s)\n"
    return out.decode(errors="replace")


reply()
for cmd in sys.argv[2:]:
    sock.sendall(cmd.encode() + b"\n")
    for line in reply().replace("\r", "").splitlines():
        if "\x1b" not in line and not line.startswith(("FPR", "XMM", "YMM", "(qemu)")):
            print(line)
