#!/usr/bin/python3
"""Decodes the TensorBoard event file written by tests/tools/rl_tfevents_sample, independently of
the C++ writer: TFRecord framing with masked CRC-32C (own table), Event/Summary protobuf parsed
from the wire format by hand. Checks the file name, the first record (file_version
"brain.Event:2"), every tag, step and value, every CRC, and the CSV mirror.

usage: rl_tfevents_decode.py SAMPLE_BINARY WORK_DIR
"""
import os
import shutil
import struct
import subprocess
import sys


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob):
    pos = 0
    while pos < len(blob):
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        assert len_crc == masked(header), f"length CRC mismatch at byte {pos}"
        data = blob[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
        assert data_crc == masked(data), f"data CRC mismatch at byte {pos}"
        yield data
        pos += 16 + length
    assert pos == len(blob), "trailing bytes after the last record"


def varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        yield field, wire, value


def parse_event(data):
    event = {"scalars": []}
    for field, wire, value in fields(data):
        if field == 1 and wire == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif field == 2 and wire == 0:
            event["step"] = value
        elif field == 3 and wire == 2:
            event["file_version"] = value.decode()
        elif field == 5 and wire == 2:
            for f, w, v in fields(value):
                assert f == 1 and w == 2, "Summary holds only repeated Value (field 1)"
                tag = simple = None
                for vf, vw, vv in fields(v):
                    if vf == 1 and vw == 2:
                        tag = vv.decode()
                    elif vf == 2 and vw == 5:
                        simple = struct.unpack("<f", vv)[0]
                event["scalars"].append((tag, simple))
        else:
            raise AssertionError(f"unexpected Event field {field} (wire {wire})")
    return event


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def main():
    sample, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out = subprocess.run([sample, work, "decode"], check=True, capture_output=True, text=True)
    path = out.stdout.strip()
    name = os.path.basename(path)
    assert name.startswith("events.out.tfevents."), name
    assert os.path.dirname(path) == os.path.join(work, "decode"), path
    with open(path, "rb") as f:
        events = [parse_event(r) for r in records(f.read())]
    assert events[0].get("file_version") == "brain.Event:2", events[0]
    want = {}
    for s in range(50):
        want[("reward/mean", s)] = f32(s * 0.25 - 3)
        want[("episode/length", s)] = f32(100 + s)
        want[("shield/interventions", s)] = f32(float(s * s))
    got = {}
    for e in events[1:]:
        assert len(e["scalars"]) == 1, e
        tag, value = e["scalars"][0]
        assert e["wall_time"] == 1700000000.0 + e["step"], e
        got[(tag, e["step"])] = value
    assert got == want, f"decoded scalars differ: {sorted(set(got.items()) ^ set(want.items()))[:5]}"
    with open(os.path.join(work, "decode", "scalars.csv")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "wall_time,step,tag,value", lines[0]
    assert len(lines) == 1 + 150, len(lines)
    for line in lines[1:]:
        wall, step, tag, value = line.split(",")
        assert abs(float(value) - want[(tag, int(step))]) < 1e-6, line
    print(f"ok: {len(events)} records, {len(got)} scalars, every CRC valid")


if __name__ == "__main__":
    main()
