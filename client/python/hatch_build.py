"""Build hooks (hatchling): generate the pcs.v1 message classes at build time,
and take the package version from the repository's VERSION file.

The .proto file (and the google/api protos it imports, vendored next to it)
is looked up in, first to last:
  $PCS_PROTO_DIR                 an explicit proto root
  ./proto                        inside an unpacked sdist
  ../../proto                    the repository checkout
grpcio-tools' protoc writes pattern_confidence_pb2.py, and mypy-protobuf's
plugin its .pyi type stub (protoc's own --pyi_out is not `mypy --strict`
clean), into a temporary folder; the wheel gets them as
pcs_client/_generated/.
Nothing is written into the source tree. The gRPC method table is hand-written
and typed (pcs_client/_rpc.py), so no *_pb2_grpc module is generated.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import stat
import sys
import tempfile
from typing import Any, Dict, List

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

PROTO = "pcs/v1/pattern_confidence.proto"
GRPCIO = "grpcio>=1.51"
# The proto imports google/api/annotations.proto (its REST routes); the
# generated module imports google.api.annotations_pb2 from this package.
GOOGLEAPIS = "googleapis-common-protos>=1.56"


def find_proto_root(root: str) -> pathlib.Path:
    candidates: List[pathlib.Path] = []
    if os.environ.get("PCS_PROTO_DIR"):
        candidates.append(pathlib.Path(os.environ["PCS_PROTO_DIR"]))
    candidates += [pathlib.Path(root) / "proto", pathlib.Path(root) / ".." / ".." / "proto"]
    for candidate in candidates:
        if (candidate / PROTO).is_file():
            return candidate.resolve()
    raise RuntimeError(f"pcs-client build: {PROTO} not found in any of "
                       f"{[str(c) for c in candidates]} (set PCS_PROTO_DIR)")


def generate(root: str, out: pathlib.Path) -> str:
    """Writes pattern_confidence_pb2.py/.pyi and __init__.py into `out`;
    returns the protobuf version the generated code requires ("X.Y.Z")."""
    from grpc_tools import protoc  # a build requirement

    proto_root = find_proto_root(root)
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    # protoc runs plugins as executables: wrap mypy-protobuf's module so the
    # plugin runs with this interpreter, wherever its scripts were installed.
    plugin = out / "protoc-gen-mypy"
    plugin.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m mypy_protobuf.main \"$@\"\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    rc = protoc.main(["protoc", f"-I{proto_root}", f"-I{include}", f"--python_out={out}",
                      f"--plugin=protoc-gen-mypy={plugin}", f"--mypy_out={out}",
                      str(proto_root / PROTO)])
    plugin.unlink()
    if rc != 0:
        raise RuntimeError(f"pcs-client build: protoc failed with exit code {rc}")
    generated = out / "pcs" / "v1"
    for name in ("pattern_confidence_pb2.py", "pattern_confidence_pb2.pyi"):
        shutil.move(str(generated / name), str(out / name))
    shutil.rmtree(out / "pcs")
    (out / "__init__.py").write_text('"""Generated from proto/pcs/v1 at build time."""\n')
    match = re.search(r"Protobuf Python Version: (\d+)\.(\d+)\.(\d+)",
                      (out / "pattern_confidence_pb2.py").read_text())
    if match is None:  # older protoc: no runtime check in the generated code
        return "4.21.0"
    return ".".join(match.groups())


def read_version(root: str) -> str:
    """The repository's VERSION file: ./VERSION in an unpacked sdist,
    ../../VERSION in the checkout (the binaries' version too)."""
    for candidate in (pathlib.Path(root) / "VERSION", pathlib.Path(root) / ".." / ".." / "VERSION"):
        if candidate.is_file():
            return candidate.read_text().strip()
    raise RuntimeError("pcs-client build: no VERSION file in . or ../..")


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: Dict[str, Any]) -> None:
        metadata["version"] = read_version(self.root)
        with tempfile.TemporaryDirectory() as tmp:
            version = generate(self.root, pathlib.Path(tmp))
        major = int(version.split(".")[0])
        metadata["dependencies"] = [GRPCIO, GOOGLEAPIS, f"protobuf>={version},<{major + 1}"]


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: Dict[str, Any]) -> None:
        self._tmp = tempfile.mkdtemp(prefix="pcs-client-build-")
        out = pathlib.Path(self._tmp)
        generate(self.root, out)
        for path in sorted(out.iterdir()):
            build_data["force_include"][str(path)] = f"pcs_client/_generated/{path.name}"

    def finalize(self, version: str, build_data: Dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
