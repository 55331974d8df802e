#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the model-file fixtures. Malicious pickles are produced by Python's own pickle
module (class X: __reduce__ -> (os.system, ('id',))) for several protocols; torch-like
pickles are written opcode by opcode because torch and numpy are not installed. Nothing here
is ever unpickled. Run from this folder with python3."""
import io
import os
import pickle
import struct
import zipfile


class Evil:
    def __reduce__(self):
        return (os.system, ("id",))


class EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').system('id')",))


def w(name, data):
    with open(name, "wb") as f:
        f.write(data)


for proto in (0, 2, 4, 5):
    w(f"evil_os_system_p{proto}.pkl", pickle.dumps(Evil(), protocol=proto))
w("evil_eval_p4.pkl", pickle.dumps(EvalEvil(), protocol=4))
w("evil.joblib", pickle.dumps({"model": Evil()}, protocol=3))

import collections
w("safe_ordereddict_p2.pkl", pickle.dumps(collections.OrderedDict(a=1, b=[1.5, "x"]), protocol=2))
w("safe_plain_p0.pkl", pickle.dumps({"a": [1, 2, (3, 4)], "b": "text"}, protocol=0))

# Unknown (not allow-listed, not dangerous) global: mymodel.Net built with NEWOBJ.
w("unknown_global_p2.pkl", b"\x80\x02cmymodel\nNet\nq\x00)\x81q\x01}q\x02b.")


def torch_state_dict_pickle():
    """A protocol-2 pickle shaped like torch.save's data.pkl for {'w': tensor}."""
    out = io.BytesIO()
    out.write(b"\x80\x02")
    out.write(b"ccollections\nOrderedDict\nq\x00)Rq\x01")
    out.write(b"X\x01\x00\x00\x00wq\x02")
    out.write(b"ctorch._utils\n_rebuild_tensor_v2\nq\x03")
    # (persistent_id('storage', FloatStorage, '0', 'cpu', 4), 0, (2, 2), (2, 1), False, OrderedDict())
    out.write(b"((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06"
              b"X\x03\x00\x00\x00cpuq\x07K\x04tq\x08Qq\x09")
    out.write(b"K\x00K\x02K\x02\x86q\x0aK\x02K\x01\x86q\x0b\x89h\x00)Rq\x0ctq\x0dRq\x0e")
    out.write(b"s.")
    return out.getvalue()


def torch_zip(name, pkl, compress=False, extra_members=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl,
                   compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        z.writestr("archive/version", b"3\n")
        for n, d in extra_members:
            z.writestr(n, d)
    w(name, buf.getvalue())


safe_pkl = torch_state_dict_pickle()
w("safe_torch_data.pkl", safe_pkl)
torch_zip("safe_model.pt", safe_pkl)
torch_zip("evil_model.pth", pickle.dumps(Evil(), protocol=2))
torch_zip("compressed_model.pt", pickle.dumps(Evil(), protocol=2), compress=True)
torch_zip("evil_second_member.bin", safe_pkl,
          extra_members=[("archive/extra/evil.pkl", pickle.dumps(Evil(), protocol=4))])

# Legacy torch.save: magic number, protocol version, sys info, then the object pickle.
legacy = (pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2) +
          pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2) +
          pickle.dumps(Evil(), protocol=2) + pickle.dumps(["0"], protocol=2) + b"\x00" * 16)
w("evil_legacy.pt", legacy)

# Benign pickle followed by a malicious one in the same file (scanner evasion attempt).
w("evil_second_pickle.pkl", pickle.dumps([1, 2], protocol=4) + pickle.dumps(Evil(), protocol=4))


def npy(descr, shape, payload):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    total = 10 + len(hdr) + 1
    hdr += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + payload


w("evil_object.npy", npy("|O", "(1,)", pickle.dumps([Evil()], protocol=3)))
w("safe_float.npy", npy("<f4", "(2,)", struct.pack("<2f", 1, 2)))

# STACK_GLOBAL whose module name is not a constant (built by a REDUCE).
w("dynamic_stack_global.pkl",
  b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"
  b"\x8c\x08builtins\x94\x8c\x03str\x94\x93\x94\x8c\x02os\x94\x85\x94R\x94\x8c\x06system\x94\x93\x94.")
