"""Generate the OpenAPI 3 document of the gateway's HTTP bindings from the protos and their
comments (``make proto``), written next to the stubs as libs/rhip/api/openapi.json.

``--check`` regenerates it in memory and exits 1 when the committed document differs (what
``make lint`` and tests/gateway/test_openapi.py rely on, like gen_proto.py --check).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import grpc_tools
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "libs"), str(ROOT / "services")]

from gen_proto import PROTO_DIR, proto_files  # noqa: E402
from rhip.gateway import openapi  # noqa: E402

OUT = ROOT / "libs" / "rhip" / "api" / openapi.FILE_NAME


def source_descriptors() -> descriptor_pb2.FileDescriptorSet:
    """Every proto of ours compiled with its comments (protoc's source info)."""
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.binpb"
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{well_known}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *(str(p.relative_to(PROTO_DIR)) for p in proto_files()),
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def fresh() -> str:
    return openapi.render(openapi.build(openapi.comments_of(source_descriptors())))


def is_stale() -> bool:
    return not OUT.exists() or OUT.read_text(encoding="utf-8") != fresh()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the document is stale")
    args = parser.parse_args()
    if args.check:
        if is_stale():
            print(f"stale: {OUT.relative_to(ROOT)} (run make proto)", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(fresh(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
