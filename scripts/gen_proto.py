"""Generate the Python gRPC stubs under libs/rhip/api from proto/ (``make proto``).

``--check`` regenerates into a temporary folder and exits 1 when the committed stubs differ,
which is what the stale-stub test and CI rely on.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "libs"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    # Only ours: proto/google/api comes with its stubs from googleapis-common-protos.
    return sorted((PROTO_DIR / "rhip").rglob("*.proto"))


def generate(out_dir: Path) -> None:
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(p.relative_to(PROTO_DIR)) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def generated_files(base: Path) -> dict[str, Path]:
    api = base / "rhip" / "api"
    return {
        str(p.relative_to(base)): p
        for p in api.rglob("*")
        if p.is_file() and p.name.endswith(GENERATED_SUFFIXES)
    }


def stale_files() -> list[str]:
    """Names of stub files that are missing, extra or different from a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh_dir = Path(tmp)
        generate(fresh_dir)
        fresh = generated_files(fresh_dir)
        committed = generated_files(OUT_DIR)
        names = sorted(set(fresh) | set(committed))
        return [
            n
            for n in names
            if n not in fresh
            or n not in committed
            or not filecmp.cmp(fresh[n], committed[n], shallow=False)
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed stubs are stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if stale else 0
    for old in generated_files(OUT_DIR).values():
        old.unlink()
    generate(OUT_DIR)
    print(f"generated {len(generated_files(OUT_DIR))} files under {OUT_DIR / 'rhip' / 'api'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
