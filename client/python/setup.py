"""Build hook: generate the pcs.v1 gRPC stubs with grpcio-tools.

The .proto files live in the repository's proto/ folder (two levels up), or
in $PCS_PROTO_DIR. The generated modules go to pcs_client/_generated/ with
their imports rewritten to stay inside this package.
"""
import os
import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
PROTO = "pcs/v1/pattern_confidence.proto"


def generate_stubs() -> None:
    from grpc_tools import protoc  # build requirement

    proto_dir = pathlib.Path(os.environ.get("PCS_PROTO_DIR", HERE / ".." / ".." / "proto")).resolve()
    if not (proto_dir / PROTO).exists():
        raise SystemExit(f"pcs-client build: {proto_dir / PROTO} not found (set PCS_PROTO_DIR)")
    out = HERE / "pcs_client" / "_generated"
    (out / "pcs" / "v1").mkdir(parents=True, exist_ok=True)
    for pkg in (out, out / "pcs", out / "pcs" / "v1"):
        (pkg / "__init__.py").touch()
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}",
                      f"--pyi_out={out}", f"--grpc_python_out={out}", str(proto_dir / PROTO)])
    if rc != 0:
        raise SystemExit(f"pcs-client build: protoc failed with {rc}")
    grpc_file = out / "pcs" / "v1" / "pattern_confidence_pb2_grpc.py"
    text = grpc_file.read_text()
    grpc_file.write_text(text.replace("from pcs.v1 import", "from pcs_client._generated.pcs.v1 import"))


class BuildPyWithStubs(build_py):
    def run(self):
        generate_stubs()  # again, in case the proto changed since egg_info
        super().run()


# egg_info (run before build_py) already needs the package folders.
generate_stubs()
setup(cmdclass={"build_py": BuildPyWithStubs})
