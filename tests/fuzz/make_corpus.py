#!/usr/bin/env python3
"""Seed corpora of the fuzz targets, from the repository's own examples and
test data: make_corpus.py OUTDIR. fuzz_spec gets every spec; fuzz_tables
every table, sensor, gain, .npy and zip file, each behind the selector byte
that picks its reader (fuzz_tables.cpp); fuzz_result small result files
(written by the tests; passed in by CTest when they exist)."""
import glob
import io
import os
import sys
import zipfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    for i, p in enumerate(sorted(glob.glob(os.path.join(root, "examples", "*.toml")) +
                                 glob.glob(os.path.join(root, "tests", "data", "**", "*.toml"), recursive=True) +
                                 glob.glob(os.path.join(root, "tests", "robustness", "*.toml")))):
        write(os.path.join(out, "spec"), f"seed_{i}.toml", open(p, "rb").read())
    tables = glob.glob(os.path.join(root, "tests", "data", "conn8", "*.txt")) + \
        glob.glob(os.path.join(root, "tests", "data", "observe", "*.csv")) + \
        glob.glob(os.path.join(root, "tests", "data", "fc", "*.txt"))[:2]
    for i, p in enumerate(sorted(tables)):
        write(os.path.join(out, "tables"), f"table_{i}", b"\x00" + open(p, "rb").read()[:20000])
        write(os.path.join(out, "tables"), f"gain_{i}", b"\x03" + open(p, "rb").read()[:20000])
    for i, p in enumerate(sorted(glob.glob(os.path.join(root, "tests", "data", "**", "*.npy"), recursive=True))):
        write(os.path.join(out, "tables"), f"npy_{i}", b"\x01" + open(p, "rb").read())
    for i, p in enumerate(sorted(glob.glob(os.path.join(root, "tests", "data", "observe", "*.txt")) +
                                 glob.glob(os.path.join(root, "examples", "data", "*.txt")))):
        write(os.path.join(out, "tables"), f"sensors_{i}", b"\x02" + open(p, "rb").read()[:20000])
    for i, p in enumerate(sorted(glob.glob(os.path.join(root, "tests", "data", "specs", "*.csv")))):
        write(os.path.join(out, "tables"), f"ic_{i}", b"\x05" + open(p, "rb").read())
    conn = os.path.join(root, "tests", "data", "conn8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(os.listdir(conn)):
            z.write(os.path.join(conn, name), name)
    write(os.path.join(out, "tables"), "zip_0", b"\x04" + buf.getvalue())
    for i, p in enumerate(sys.argv[2:]):
        if os.path.exists(p) and os.path.getsize(p) < 1 << 20:
            write(os.path.join(out, "result"), f"result_{i}.h5", open(p, "rb").read())
    write(os.path.join(out, "result"), "empty", b"")


if __name__ == "__main__":
    main()
