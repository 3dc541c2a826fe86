"""Where the generated stubs come from: a directory ($SCTPGW_PYTHON_STUBS, the
stubs argument), or bundled by setup.py's build; each case in a fresh
interpreter, on a copy of the package."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

import support

PACKAGE = os.path.join(os.path.dirname(support.HERE), "sctpgw")
STUBS_DIRECTORY = support.STUBS.directory


class StubsTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="sctpgw-stubs-test-")
        self.addCleanup(shutil.rmtree, self.directory, ignore_errors=True)

    def copy_package(self, into):
        """The library's modules without any stubs generated into it."""
        shutil.copytree(PACKAGE, os.path.join(into, "sctpgw"),
                        ignore=shutil.ignore_patterns("v1", "__pycache__"))
        return into

    def python(self, code, path, environment=None):
        """Runs code with only `path` added to sys.path; returns its output."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("SCTPGW_PYTHON_STUBS", "PYTHONPATH")}
        env.update(environment or {})
        result = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {path!r})\n"
                                   + textwrap.dedent(code)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout)
        return result.stdout

    def test_without_stubs_the_error_says_where_to_get_them(self):
        lib = self.copy_package(self.directory)
        output = self.python("""
            import sctpgw
            try:
                sctpgw.Client("unix:/nowhere")
            except sctpgw.StubsNotFound as error:
                print("not found:", error)
            """, lib)
        self.assertIn("not found:", output)
        self.assertIn("SCTPGW_PYTHON_STUBS", output)

    def test_a_directory_from_the_environment_or_the_argument(self):
        lib = self.copy_package(self.directory)
        other = os.path.join(self.directory, "other")
        shutil.copytree(STUBS_DIRECTORY, other)
        output = self.python(f"""
            import os, sctpgw
            stubs = sctpgw.load_stubs()
            print("from", stubs.directory)
            print("same again:", sctpgw.load_stubs({STUBS_DIRECTORY!r}) is stubs)
            try:
                sctpgw.load_stubs({other!r})
            except ImportError as error:
                print("refused:", error)
            try:
                sctpgw.load_stubs({self.directory!r})
            except sctpgw.StubsNotFound:
                print("no stubs there")
            from sctpgw.v1 import types_pb2
            print("types", os.path.dirname(types_pb2.__file__))
            """, lib, {"SCTPGW_PYTHON_STUBS": STUBS_DIRECTORY})
        self.assertIn(f"from {STUBS_DIRECTORY}", output)
        self.assertIn("same again: True", output)
        self.assertIn("refused:", output)
        self.assertIn("no stubs there", output)
        self.assertIn(f"types {os.path.join(STUBS_DIRECTORY, 'sctpgw', 'v1')}", output)

    @unittest.skipUnless(shutil.which("protoc") and shutil.which("grpc_python_plugin")
                         and importlib.util.find_spec("setuptools"),
                         "needs protoc, grpc_python_plugin and setuptools")
    def test_the_build_bundles_the_stubs_and_a_directory_still_comes_first(self):
        build = os.path.join(self.directory, "build")
        result = subprocess.run(
            [sys.executable, "setup.py", "-q", "build", "--build-base", build],
            cwd=os.path.dirname(PACKAGE), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout)
        lib = os.path.join(build, "lib")
        self.assertTrue(os.path.isfile(
            os.path.join(lib, "sctpgw", "v1", "gateway_service_pb2_grpc.py")))
        self.assertFalse(os.path.exists(os.path.join(lib, "sctpgw", "v1", "__init__.py")))
        output = self.python("""
            import sctpgw
            print("bundled", sctpgw.load_stubs().directory)
            print(sctpgw.load_stubs().service.OpenSessionRequest(client_name="x"))
            """, lib)
        self.assertIn(f"bundled {lib}", output)
        self.assertIn('client_name: "x"', output)
        output = self.python("""
            import sctpgw
            print("chosen", sctpgw.load_stubs().directory)
            """, lib, {"SCTPGW_PYTHON_STUBS": STUBS_DIRECTORY})
        self.assertIn(f"chosen {STUBS_DIRECTORY}", output)


if __name__ == "__main__":
    unittest.main()
