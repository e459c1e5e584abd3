"""Reads FILE and prints its SHA-256 (lower-case hex), as `sha256sum` would.

Usage: python sha256_file.py FILE

The benchmark's floor for jmo-analyze: every summary carries the SHA-256 of
its input (`input.sha256`), one serial stream that no second core can share.
Python's hashlib runs OpenSSL's SHA-256 (SHA-NI where the CPU has it); the
file is read into one reused 4 MiB buffer, as jmo-analyze reads a block.
"""
import hashlib
import sys


def main():
    h = hashlib.sha256()
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    with open(sys.argv[1], "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    print(h.hexdigest())


if __name__ == "__main__":
    main()
