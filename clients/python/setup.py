"""Installs the sctpgw Python client library: ``pip install .`` here.

Building runs protoc with grpc_python_plugin over ../../proto/sctpgw/v1
(Debian: protobuf-compiler, protobuf-compiler-grpc) and bundles the
generated modules inside the package (sctpgw/v1/). Environment:
SCTPGW_PROTO_DIR names another proto directory; SCTPGW_BUNDLE_STUBS=0
installs without them (the application then names a directory of stubs:
the `stubs` argument or $SCTPGW_PYTHON_STUBS).

There is no pyproject.toml on purpose: pip then builds with the setuptools
and wheel installed (Debian's python3-setuptools), without fetching build
dependencies, so the install works offline.
"""
import glob
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithStubs(build_py):
    """build_py, then the generated stubs into the built package."""

    def run(self):
        super().run()
        if os.environ.get("SCTPGW_BUNDLE_STUBS", "1") == "0":
            return
        proto_dir = os.path.abspath(os.environ.get("SCTPGW_PROTO_DIR")
                                    or os.path.join(HERE, "..", "..", "proto"))
        protos = sorted(glob.glob(os.path.join(proto_dir, "sctpgw", "v1", "*.proto")))
        protoc = shutil.which("protoc")
        plugin = shutil.which("grpc_python_plugin")
        missing = [what for what, found in (("the .proto files in " + proto_dir, protos),
                                            ("protoc", protoc),
                                            ("grpc_python_plugin", plugin)) if not found]
        if missing:
            raise SystemExit(
                "sctpgw: cannot generate the stubs to bundle: no " + ", no ".join(missing) +
                " (apt-get install protobuf-compiler protobuf-compiler-grpc; or set "
                "SCTPGW_PROTO_DIR; or SCTPGW_BUNDLE_STUBS=0 and give the library a "
                "directory of stubs at run time)")
        # Inside the built package, as sctpgw/v1/*_pb2*.py: the generated code
        # imports its siblings as sctpgw.v1. No __init__.py there, so that a
        # directory named at run time can still come first (sctpgw/_stubs.py).
        in_place = getattr(self, "editable_mode", False) or getattr(self, "inplace", False)
        out = HERE if in_place else self.build_lib
        subprocess.check_call([
            protoc, f"--proto_path={proto_dir}", f"--python_out={out}",
            f"--grpc_python_out={out}", f"--plugin=protoc-gen-grpc_python={plugin}",
            *[os.path.relpath(proto, proto_dir) for proto in protos]])


setup(
    name="sctpgw",
    version="0.1.0",
    description="Client library of sctpgw, the gRPC service holding kernel SCTP associations",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=["sctpgw"],
    # Debian 12: python3-grpcio 1.51, python3-protobuf 4.21.
    install_requires=["grpcio>=1.51", "protobuf>=4.21"],
    cmdclass={"build_py": BuildWithStubs},
)
