#!/usr/bin/python3
"""A minimal service manager for tests: it runs one service the way systemd
runs a unit with Restart=on-failure and a file descriptor store, speaking
the documented protocol and nothing more (sd_notify(3), sd_listen_fds(3),
systemd.service(5)):

  - NOTIFY_SOCKET: a datagram socket; each datagram is newline-separated
    KEY=VALUE assignments, descriptors travel as SCM_RIGHTS and the sender is
    known by SCM_CREDENTIALS. As with NotifyAccess=main, datagrams from any
    other process than the main one are ignored (NotifyAccess=all with
    --notify-access all), and MAINPID= makes another process the main one.
  - FDSTORE=1 (FDNAME= names them, "stored" by default): the descriptors are
    kept, at most --fd-store-max (FileDescriptorStoreMax=); one already kept
    (the same open file) is not kept twice. FDSTOREREMOVE=1 with FDNAME=
    closes every kept descriptor of that name. READY=1, STOPPING=1 noted.
  - When the main process dies by a signal or exits non-zero, the service is
    started again with the kept descriptors as fds 3, 4, ... and LISTEN_FDS,
    LISTEN_FDNAMES (":"-separated) and LISTEN_PID set; when it exits 0 the
    store is emptied and this manager exits.
  - FDSTORE= in the service's environment says how many it keeps (systemd
    254 and later).

  fd_store_manager.py [--fd-store-max N] [--notify-access main|all] -- COMMAND...

Commands on stdin, one per line: "kill" (SIGKILL the main process), "term"
(SIGTERM), "names" (print "names N1 N2 ..." of the kept descriptors).
Printed, one line each: "started PID", "ready PID", "stored NAME",
"removed NAME", "refused NAME WHY", "exited PID STATUS" (code N / signal N),
"stopped"; "failed start-limit-hit" after more than 5 starts in 10 s, as
systemd's default StartLimitBurst= and StartLimitIntervalSec= have it.
"""
import argparse
import array
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time

CREDENTIALS = struct.Struct("=iII")  # struct ucred: pid, uid, gid


def say(*words):
    print(*words, flush=True)


class Manager:
    def __init__(self, command, store_max, notify_access):
        self.command = command
        self.store_max = store_max
        self.notify_access = notify_access
        self.kept = []  # [(name, fd)] in the order stored
        self.main_pid = None
        self.directory = tempfile.mkdtemp(prefix="fdstore-")
        self.path = os.path.join(self.directory, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.path)
        self.notify.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.starts = []  # When the service was started, for the start limit.

    def start(self):
        now = time.monotonic()
        self.starts = [t for t in self.starts if now - t < 10] + [now]
        if len(self.starts) > 5:  # StartLimitBurst=5, StartLimitIntervalSec=10
            say("failed start-limit-hit")
            return False
        fds = [fd for _, fd in self.kept]
        names = [name for name, _ in self.kept]
        pid = os.fork()
        if pid == 0:
            try:
                # The kept descriptors become 3, 4, ...: first out of the way.
                moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3 + len(fds)) for fd in fds]
                for index, fd in enumerate(moved):
                    os.dup2(fd, 3 + index, inheritable=True)
                    os.close(fd)
                os.closerange(3 + len(moved), os.sysconf("SC_OPEN_MAX"))
                env = dict(os.environ)
                env["NOTIFY_SOCKET"] = self.path
                env["FDSTORE"] = str(self.store_max)  # As systemd 254 and later say it.
                for key in ("LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"):
                    env.pop(key, None)
                if moved:
                    env["LISTEN_FDS"] = str(len(moved))
                    env["LISTEN_FDNAMES"] = ":".join(names)
                    env["LISTEN_PID"] = str(os.getpid())
                os.execvpe(self.command[0], self.command, env)
            except BaseException as error:  # pylint: disable=broad-except
                os.write(2, f"fd_store_manager: cannot start: {error!r}\n".encode())
            finally:
                os._exit(127)
        self.main_pid = pid
        say("started", pid)
        return True

    def same_file(self, a, b):
        sa, sb = os.fstat(a), os.fstat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)

    def receive(self):
        data, ancillary, _, _ = self.notify.recvmsg(
            65536, socket.CMSG_SPACE(253 * 4) + socket.CMSG_SPACE(CREDENTIALS.size))
        fds = array.array("i")
        sender = None
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(value[:len(value) - len(value) % fds.itemsize])
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                sender = CREDENTIALS.unpack(value[:CREDENTIALS.size])[0]
        fds = list(fds)
        if self.notify_access == "main" and sender != self.main_pid:
            for fd in fds:
                os.close(fd)
            return
        fields = {}
        for line in data.decode(errors="replace").split("\n"):
            if "=" in line:
                key, value = line.split("=", 1)
                fields[key] = value
        if fields.get("MAINPID"):
            self.main_pid = int(fields["MAINPID"])
        if fields.get("READY") == "1":
            say("ready", sender)
        if fields.get("FDSTOREREMOVE") == "1":
            name = fields.get("FDNAME", "")
            for kept_name, fd in [k for k in self.kept if k[0] == name]:
                os.close(fd)
            before = len(self.kept)
            self.kept = [k for k in self.kept if k[0] != name]
            if len(self.kept) != before:
                say("removed", name)
        if fields.get("FDSTORE") == "1":
            name = fields.get("FDNAME", "stored")
            for fd in fds:
                if any(self.same_file(fd, kept) for _, kept in self.kept):
                    os.close(fd)
                    say("refused", name, "already-kept")
                elif len(self.kept) >= self.store_max:
                    os.close(fd)
                    say("refused", name, "store-full")
                else:
                    self.kept.append((name, fd))
                    say("stored", name)
        else:
            for fd in fds:
                os.close(fd)

    def command_line(self, line):
        word = line.strip()
        if word == "kill" and self.main_pid:
            os.kill(self.main_pid, signal.SIGKILL)
        elif word == "term" and self.main_pid:
            os.kill(self.main_pid, signal.SIGTERM)
        elif word == "names":
            say("names", *[name for name, _ in self.kept])

    def run(self):
        self.start()
        stdin_open = True
        while True:
            readers = [self.notify] + ([sys.stdin] if stdin_open else [])
            ready, _, _ = select.select(readers, [], [], 0.05)
            if self.notify in ready:
                self.receive()
                continue  # Notifications before deaths, as they were sent.
            if sys.stdin in ready:
                line = sys.stdin.readline()
                if not line:
                    stdin_open = False
                else:
                    self.command_line(line)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    pid = 0
                if pid == 0:
                    break
                # What is still queued on the notify socket was sent before
                # the death: taken first, as systemd does.
                while select.select([self.notify], [], [], 0)[0]:
                    self.receive()
                if os.WIFSIGNALED(status):
                    say("exited", pid, "signal", os.WTERMSIG(status))
                else:
                    say("exited", pid, "code", os.WEXITSTATUS(status))
                if pid != self.main_pid:
                    continue
                if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                    for _, fd in self.kept:
                        os.close(fd)
                    self.kept = []
                    say("stopped")
                    return 0
                if not self.start():
                    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd-store-max", type=int, default=1024)
    parser.add_argument("--notify-access", choices=("main", "all"), default="main")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return Manager(command, args.fd_store_max, args.notify_access).run()


if __name__ == "__main__":
    sys.exit(main())
