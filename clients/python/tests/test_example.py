"""examples/python/sctpgw_echo_client.py (which uses the library) against
the fake sctpgw echoing as socat does: the lines and exit codes that
tests/lab/clients_test.sh checks against the real sctpgw and socat."""
import os
import re
import subprocess
import sys
import unittest

import support

EXAMPLE = os.path.join(support.HERE, "..", "..", "..", "examples", "python",
                       "sctpgw_echo_client.py")
STUBS_DIRECTORY = support.STUBS.directory


class EchoClientExampleTest(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.server.fake.echo = True

    def tearDown(self):
        self.server.stop()

    def run_example(self, *arguments, stubs=STUBS_DIRECTORY):
        environment = dict(os.environ)
        environment.pop("SCTPGW_PYTHON_STUBS", None)
        result = subprocess.run(
            [sys.executable, EXAMPLE, "--stubs", stubs, "--target", self.server.target,
             "--local-address", "127.0.0.1", "--timeout", "10", *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
            env=environment)
        return result.returncode, result.stdout

    def test_echo(self):
        message = "hello from python"
        status, output = self.run_example("--stream", "1", "--ppid", "46", "127.0.0.1", "4000",
                                          message)
        self.assertEqual(status, 0, output)
        found = re.search(r"^associated (\d+): 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:4000$", output,
                          re.MULTILINE)
        self.assertIsNotNone(found, output)
        association = found.group(1)
        lines = output.splitlines()
        for expected in (f"event COMM_UP association {association}",
                         f"received stream=0 ppid=0: {message}",
                         f"event SHUTDOWN_COMP association {association}",
                         "session closed"):
            self.assertIn(expected, lines, output)
        sent = self.server.fake.sent[int(association)]
        self.assertEqual([(m.payload, m.stream, m.ppid) for m in sent],
                         [(message.encode(), 1, 46)])
        self.assertEqual(self.server.fake.sessions, {})  # The session was closed.

    def test_refused(self):
        status, output = self.run_example("127.0.0.1", "9", "nobody hears this")
        self.assertNotEqual(status, 0)
        self.assertRegex(output, r"(?m)^error Associate: UNAVAILABLE ASSOCIATE_FAILED: ")
        self.assertNotRegex(output, r"(?m)^received|Traceback")
        self.assertEqual(self.server.fake.sessions, {})

    def test_no_stubs(self):
        status, output = self.run_example("127.0.0.1", "4000", "x",
                                          stubs=self.server.directory)
        self.assertEqual(status, 2, output)
        self.assertIn("error: no sctpgw Python stubs in", output)


if __name__ == "__main__":
    unittest.main()
