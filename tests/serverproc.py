"""Start the real server (python -m dashboard serve) on a free local port for a test."""

import itertools
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _port_range() -> range:
    """This pytest's own ports: `make test` runs two pytests side by side and gives each a range (TEST_PORTS=lo-hi),
    below the kernel's ephemeral range, so a server of one can never take a port the other has just chosen."""
    lo, _, hi = os.environ.get("TEST_PORTS", "").partition("-")
    return range(int(lo), int(hi)) if lo and hi else range(0)


_next_port = itertools.count(random.randrange(1000))


def free_port() -> int:
    ports = _port_range()
    if not ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for _ in range(len(ports)):
        port = ports[next(_next_port) % len(ports)]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


class Server:
    def __init__(self, db_path, port=None, extra_env=None, extra_args=(), log_dir=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CLINIC_DB": str(db_path), "PYTHONPATH": str(ROOT), **(extra_env or {})}
        log = Path(log_dir) / f"server.{self.port}.log" if log_dir else Path(db_path).with_suffix(f".{self.port}.log")
        self.log = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard",
                "serve",
                "--port",
                str(self.port),
                "--address",
                "127.0.0.1",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("server did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
