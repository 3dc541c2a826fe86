"""Finds and imports the Python modules generated from proto/sctpgw/v1.

The generated code imports its siblings as ``sctpgw.v1.<name>_pb2``, so it
lives in this package's ``v1`` subpackage, from one of two places:

- bundled: ``pip install`` ran protoc and put them inside the installed
  package (setup.py);
- a directory of generated stubs such as a build's ``BUILD/python`` (the
  CMake target sctpgw_python_stubs), named by the ``stubs`` argument or the
  SCTPGW_PYTHON_STUBS environment variable: its ``sctpgw`` folder is put in
  front of this package's search path, so that ``sctpgw.v1`` is found there
  first.

A process loads one set of stubs: the first load decides, and asking for
another directory afterwards is an error rather than a silent mix.
"""
import importlib
import os
import sys
import threading
import types

ENVIRONMENT_VARIABLE = "SCTPGW_PYTHON_STUBS"
_PACKAGE = __name__.rpartition(".")[0]  # "sctpgw"
_PROBE = os.path.join("sctpgw", "v1", "gateway_service_pb2_grpc.py")

_lock = threading.Lock()
_loaded = None  # A Stubs once loaded.


class StubsNotFound(ImportError):
    """No generated stubs where they were looked for."""


class Stubs(types.SimpleNamespace):
    """The generated modules: ``types`` (types_pb2), ``events`` (events_pb2),
    ``service`` (gateway_service_pb2), ``service_grpc``
    (gateway_service_pb2_grpc), and ``directory``, where they came from."""


def _package_directory():
    return os.path.dirname(os.path.abspath(__file__))


def _bundled():
    return os.path.isfile(os.path.join(os.path.dirname(_package_directory()), _PROBE))


def _import(directory):
    package = sys.modules[_PACKAGE]
    portion = None
    if directory is not None:
        portion = os.path.join(os.path.abspath(directory), "sctpgw")
        if portion in package.__path__:
            portion = None
        else:
            package.__path__.insert(0, portion)
    try:
        names = ("types", "events", "gateway_service")
        modules = {name: importlib.import_module(f"{_PACKAGE}.v1.{name}_pb2") for name in names}
        service_grpc = importlib.import_module(f"{_PACKAGE}.v1.gateway_service_pb2_grpc")
    except ImportError:
        if portion is not None:
            package.__path__.remove(portion)
        raise
    where = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(modules["gateway_service"].__file__))))
    if directory is not None and not os.path.samefile(where, directory):
        raise ImportError(f"sctpgw.v1 was imported from {where} already")
    return Stubs(types=modules["types"], events=modules["events"],
                 service=modules["gateway_service"], service_grpc=service_grpc,
                 directory=where)


def load(directory=None):
    """Imports the stubs and returns them as a Stubs.

    directory: a folder holding ``sctpgw/v1/*_pb2.py`` (e.g. BUILD/python).
    None: the stubs already loaded, else $SCTPGW_PYTHON_STUBS, else those
    bundled at install time. Raises StubsNotFound when there are none, and
    ImportError when other stubs were loaded already.
    """
    global _loaded
    with _lock:
        if directory is None and _loaded is not None:
            return _loaded
        if directory is None:
            directory = os.environ.get(ENVIRONMENT_VARIABLE) or None
            if directory is None and not _bundled():
                raise StubsNotFound(
                    f"no sctpgw Python stubs: none bundled in {_package_directory()} and "
                    f"neither the stubs argument nor ${ENVIRONMENT_VARIABLE} names a directory "
                    "of them (build the sctpgw_python_stubs target and point at BUILD/python, "
                    "or pip install clients/python with protoc and grpc_python_plugin)")
        if directory is not None:
            if not os.path.isfile(os.path.join(directory, _PROBE)):
                raise StubsNotFound(f"no sctpgw Python stubs in {directory} "
                                    f"(no {_PROBE} there)")
            if _loaded is not None:
                if os.path.samefile(_loaded.directory, directory):
                    return _loaded
                raise ImportError(f"sctpgw stubs were loaded from {_loaded.directory} already; "
                                  f"cannot load those in {directory} as well")
        try:
            _loaded = _import(directory)
        except ImportError as error:
            raise StubsNotFound(f"the sctpgw Python stubs in {directory or 'the package'} "
                                f"do not import: {error}") from error
        return _loaded
