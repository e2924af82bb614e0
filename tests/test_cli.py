"""The command line: demo, users, and a second server on a file already in use."""

import subprocess
import sys

from dashboard.storage.db import Database
from tests.serverproc import ROOT, Server


def run(*args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
    )


def test_demo_command_builds_a_clinic(tmp_path):
    path = tmp_path / "demo.duckdb"
    done = run("demo", "--db", str(path), "--cases", "40", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert "40 episodes" in done.stdout
    again = run("demo", "--db", str(path), "--cases", "40")
    assert again.returncode == 2 and "already holds a clinic" in again.stderr
    db = Database(path)
    assert db.scalar("SELECT count(*) FROM episodes") == 40
    db.close()


def test_users_add_first_admin_then_list(tmp_path):
    path = tmp_path / "clinic.duckdb"
    env = __import__("os").environ

    def add(password):  # the password comes from the environment (or a prompt), never the command line
        return run(
            "users", "--db", str(path), "add", "--admin", "--username", "chief", "--name", "Chief",
            env={**env, "CLINIC_NEW_PASSWORD": password},
        )  # fmt: skip

    short = add("short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    done = add("long-enough-pw")
    assert done.returncode == 0, done.stderr
    listed = run("users", "--db", str(path), "list")
    assert "chief" in listed.stdout and "administrator" in listed.stdout


def test_second_server_on_the_same_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "clinic.duckdb"
    first = Server(path).wait_ready()
    try:
        second = run("serve", "--port", "1", env={**__import__("os").environ, "CLINIC_DB": str(path)}, timeout=60)
        assert second.returncode == 2
        assert "already open in another program" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.stop()
