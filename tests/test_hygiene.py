"""The project's own gates: locked dependencies, no private Streamlit modules, password hashing."""

import re
import tomllib
from pathlib import Path

from dashboard.services import auth
from dashboard.services.passwords import hash_password, needs_rehash, verify_password

ROOT = Path(__file__).resolve().parent.parent


def _lock(name: str) -> dict[str, tuple[str, list[str]]]:
    """package -> (version, hashes) of a requirements lock."""
    found: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)", line)
        if pinned:
            current = pinned.group(1).lower().replace("_", "-")
            found[current] = (pinned.group(2), [])
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            assert current is not None
            found[current][1].append(digest)
    return found


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        name, version = re.split(r"==", requirement.split(";")[0].strip())
        pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version.strip()  # psycopg[binary] is psycopg
    return pins


def test_locks_pin_everything_with_hashes_and_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    app_pins = _pins(project["project"]["dependencies"])
    dev_pins = _pins(project["dependency-groups"]["dev"])
    app, dev = _lock("requirements.txt"), _lock("requirements-dev.txt")
    assert len(app) > len(app_pins)  # indirect dependencies are locked too
    for lock in (app, dev):
        for name, (_version, hashes) in lock.items():
            assert hashes, f"{name} has no hash"
    for name, version in app_pins.items():
        assert app[name][0] == version and dev[name][0] == version, name
    for name, version in dev_pins.items():
        assert dev[name][0] == version, name
        assert name not in app, f"test tool {name} in the app's lock"
    for name, (version, _) in app.items():
        assert dev[name][0] == version, f"{name}: app and dev locks disagree"


def test_no_private_streamlit_modules_in_the_app():
    private = re.compile(
        r"streamlit\.(dataframe_util|runtime\.|web\.server|elements\.lib)|from streamlit import dataframe_util"
    )
    allowed = {ROOT / "dashboard" / "cli.py"}  # serve: the legacy pages flag (see the comment there)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "dashboard").rglob("*.py")
        if path not in allowed and private.search(path.read_text())
    ]
    assert offenders == []


def test_passwords_are_argon2id_and_old_scrypt_hashes_are_upgraded_on_sign_in(clinic):
    fresh = hash_password("a-long-passphrase")
    assert fresh.startswith("$argon2id$") and not needs_rehash(fresh)
    assert verify_password("a-long-passphrase", fresh) and not verify_password("a-long-passphrasf", fresh)
    # a hash from the first version: scrypt N=2^14
    import hashlib

    salt = bytes(range(16))
    digest = hashlib.scrypt(b"clinician-pass-1", salt=salt, dklen=32, n=2**14, r=8, p=1)
    old = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    assert verify_password("clinician-pass-1", old) and not verify_password("clinician-pass-2", old)
    assert needs_rehash(old)
    with clinic.transaction() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE username = 'ana'", [old])
    auth.sign_in(clinic, "ana", "clinician-pass-1")
    stored = clinic.scalar("SELECT password_hash FROM users WHERE username = 'ana'")
    assert stored.startswith("$argon2id$") and verify_password("clinician-pass-1", stored)
    assert clinic.scalar("SELECT count(*) FROM audit_log WHERE action = 'rehash_password'") == 1
    auth.sign_in(clinic, "ana", "clinician-pass-1")  # already current: not rehashed again
    assert clinic.scalar("SELECT count(*) FROM audit_log WHERE action = 'rehash_password'") == 1
