"""One command line for what administrators script: ``python -m dashboard COMMAND ...``.

It calls the same services as the app, as the ``system`` user (an administrator), and every write it
makes is in the audit trail.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import config
from .domain.model import SYSTEM_USER, FieldProblems, NotDone, Role
from .storage.db import Database, DatabaseError, DatabaseInUse, open_database


def _open(path: str) -> Database:
    """The clinic database at ``path``, health-checked (a damaged file is refused naming the last backup)."""
    from .services.clinic import open_database

    return open_database(path)


def _new_password() -> str | None:
    """A new account's password: from CLINIC_NEW_PASSWORD, or asked for (twice) at the terminal. Never from
    the command line, where other users of the machine can read it."""
    password = os.environ.get("CLINIC_NEW_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        print(
            "error: no password: run this in a terminal to be asked for it, or set CLINIC_NEW_PASSWORD.",
            file=sys.stderr,
        )
        return None
    import getpass

    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        print("error: the two passwords differ; nothing was created.", file=sys.stderr)
        return None
    return password


def _cmd_serve(args) -> int:
    """Open the clinic database (holding its lock for the life of the server), then run Streamlit in
    this same process, so a second server on the same file is refused at once with a clear message.
    Streamlit's own ASGI app (st.App) is served with the clinic's middleware (dashboard/web.py): session
    and device cookies, headers that forbid framing, and /_stcore/metrics for administrators only."""
    if sys.platform.startswith("linux") and "MALLOC_ARENA_MAX" not in os.environ and sys.argv[1:2] == ["serve"]:
        # Streamlit runs every session's script in a thread of its own, and glibc gives threads memory arenas of
        # their own that keep what was freed: with two, the server stays small. Set before anything is opened
        # (the process starts again as itself, same pid).
        argv = [sys.executable, "-m", "dashboard", *sys.argv[1:]]
        os.execve(sys.executable, argv, {**os.environ, "MALLOC_ARENA_MAX": "2"})
    from .services import auth, sessions
    from .services.clinic import open_clinic

    cfg = config.from_environment()
    held = open_clinic(cfg)  # kept open: it is the lock on the file (errors: see main)
    sessions.sweep(held)  # sessions that ran out while the server was stopped: recorded as expired
    app = Path(__file__).resolve().parent / "app.py"
    print(
        f"Serving {'the DEMO clinic' if cfg.demo else 'clinic database'} {cfg.db_path} at http://localhost:{args.port}",
        file=sys.stderr,
    )
    code = auth.issue_setup_code(held)
    if code:
        print(
            f"\nThis clinic database has no accounts yet. To create the first administrator, open the app and\n"
            f"enter this one-time setup code on the 'Set up the clinic' screen:\n\n    {code}\n\n"
            "It works once, and only until this server stops (each start prints a new one). Or create the\n"
            "administrator from the command line: python -m dashboard users --db FILE add --admin ...\n",
            file=sys.stderr,
            flush=True,
        )
    os.chdir(config.ROOT)  # .streamlit/config.toml is read from here
    import streamlit as st
    from starlette.middleware import Middleware
    from streamlit.runtime.pages_manager import PagesManager

    from .web import ClinicMiddleware

    # Streamlit treats a `pages/` folder beside the main script as a legacy multipage app until the first
    # session runs st.navigation: a first request for /case would run pages/case.py without the router
    # (no sign-in gate). Every request must go through app.py. Streamlit 1.67 has no public switch for
    # this (no config option; the flag is set from the folder's existence), and the layout asks for
    # dashboard/pages/, so the flag is set here before the server starts. If Streamlit renames it this
    # line fails at start, and tests/test_browser.py::test_first_request_for_a_page_goes_through_the_router
    # fails if a page can be reached without the router.
    PagesManager.uses_pages_directory = False
    _load_and_freeze()
    options: dict[str, object] = {"server.port": args.port, "runner.postScriptGC": False}
    if args.address:
        options["server.address"] = args.address
    if args.secrets:
        options["secrets.files"] = [str(Path(args.secrets).resolve())]
    server = st.App(str(app), middleware=[Middleware(ClinicMiddleware, db=held)])
    sys.argv = [str(app)]  # st.App.run treats argv[0] as the launcher: the app's folder, as `streamlit run` did
    try:
        server.run(config=options)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def _load_and_freeze() -> None:
    """Import what the pages use (Altair, pandas, the app's modules) before the first visit, then move every
    object alive so far out of the garbage collector's sight (``gc.freeze``): they live as long as the server,
    and a collection that scans them holds the interpreter, and so every other clinician's page, for
    ~100 ms."""
    import gc
    import importlib
    import pkgutil

    from . import services, ui

    for package in (services, ui):
        for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    importlib.import_module(__package__ + ".charts")
    gc.collect()
    gc.freeze()


def _cmd_demo(args) -> int:
    from .services.demo import build_demo

    target = config.database_target(args.db)
    if isinstance(target, Path) and target.exists() and args.replace:
        target.unlink()
        Path(str(target) + ".wal").unlink(missing_ok=True)
    db = open_database(target)
    path = db.location
    started = time.perf_counter()
    try:
        counts = build_demo(db, cases=args.cases, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc} (use --replace to start again)", file=sys.stderr)
        return 2
    finally:
        db.close()
    took = time.perf_counter() - started
    print(f"Demo clinic in {path}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" ({took:.1f} s)")
    return 0


def _cmd_import(args) -> int:
    from .services.importer import import_patients_csv

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}. Nothing imported.", file=sys.stderr)
        return 2
    db = _open(args.db)
    try:
        report = import_patients_csv(db, SYSTEM_USER, data)
    except FieldProblems as exc:
        print(f"Nothing imported: {len(exc.problems)} problem(s) in {args.file}:", file=sys.stderr)
        for where, text in exc.problems.items():
            print(f"  {where}: {text}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"Imported {report['patients']} patients and opened {report['episodes']} episodes from {args.file}.")
    for line in report["read_as"]:
        print(f"  read {line}")
    return 0


def _cmd_users(args) -> int:
    from .services import auth

    if args.action == "add" and args.password is not None:
        print(
            "error: passwords are never on the command line (other users of the machine can see it). "
            "Leave out --password to be asked for it, or set CLINIC_NEW_PASSWORD.",
            file=sys.stderr,
        )
        return 2
    password = ""
    if args.action == "add":
        asked = _new_password()
        if asked is None:
            return 2
        password = asked
    db = _open(args.db)
    try:
        if args.action == "add":
            role = Role.ADMINISTRATOR.value if args.admin else args.role
            first = auth.needs_first_admin(db)
            auth.create_user(
                db,
                None if first else SYSTEM_USER,
                args.username,
                args.name or args.username,
                role,
                password,
                first_admin=first,
            )
            print(f"User {args.username} ({role}) created.")
        else:
            for user in auth.list_users(db, SYSTEM_USER):
                print(
                    f"{user['username']:20} {user['role']:14} {'active' if user['active'] else 'disabled':8} "
                    f"{user['display_name']}"
                )
    except FieldProblems as exc:
        for text in exc.problems.values():
            print(f"error: {text}", file=sys.stderr)
        return 2
    except auth.NotAllowed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    return 0


def _cmd_handouts(args) -> int:
    from .handout_pdf import FontMissing, HandoutOptions
    from .services import handouts
    from .services.records import NotFound

    if bool(args.episode) == bool(args.all_open):
        print("error: give either --episode ID (with --out) or --all-open (with --out-dir)", file=sys.stderr)
        return 2
    options = HandoutOptions(page_size="Letter" if args.letter else "A4", large_print=args.large_print)
    if args.episode and args.out and not Path(args.out).resolve().parent.is_dir():
        print(f"error: the folder for {args.out} does not exist; nothing was printed or recorded.", file=sys.stderr)
        return 2
    db = _open(args.db)
    try:
        if args.episode:
            if not args.out:
                print("error: --episode needs --out FILE.pdf", file=sys.stderr)
                return 2
            issued = handouts.issue(db, SYSTEM_USER, args.episode, options)
            Path(args.out).write_bytes(issued.data)
            for text in issued.warnings:
                print(f"warning: {text}", file=sys.stderr)
            print(f"Wrote {args.out} (sha256 {issued.sha256}); archived as {issued.path}")
            return 0
        if not args.out_dir:
            print("error: --all-open needs --out-dir DIR", file=sys.stderr)
            return 2
        out_dir = Path(args.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ids = handouts.open_episodes(db, SYSTEM_USER)

        def progress(done, total):
            print(f"\r{done}/{total} handouts", end="" if done < total else "\n", file=sys.stderr, flush=True)

        batch = handouts.issue_many(db, SYSTEM_USER, ids, options, progress=progress)
        for item in batch.issued:
            (out_dir / f"episode-{item.episode_id:06d}.pdf").write_bytes(item.data)
        print(f"Wrote {len(batch.issued)} handouts to {out_dir}")
        return 0
    except NotFound:
        print(f"error: there is no episode {args.episode} in {args.db}", file=sys.stderr)
        return 2
    except FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _cmd_backup(args) -> int:
    from .services import admin

    db = _open(args.db)
    try:
        target = admin.backup(db, SYSTEM_USER, Path(args.out))
    finally:
        db.close()
    kind = " (a PostgreSQL pg_dump archive: restore it with pg_restore)" if target.suffix == ".pgdump" else ""
    print(f"Backup written: {target}{kind} (checksum in {target.name}.sha256)")
    return 0


def _cmd_rebuild_state(args) -> int:
    from .services import case_state

    db = _open(args.db)
    try:
        if args.check:
            found = case_state.differences(db)
            if found.empty:
                print("The case state agrees with the records.")
                return 0
            episodes = found["episode_id"].nunique()
            print(f"The case state differs from the records for {episodes} episode(s):")
            for row in found.head(20).itertuples():
                print(f"  episode {row.episode_id}: {row.column} is {row.stored!r}, the records give {row.fresh!r}")
            print("Run this command again without --check to rebuild it.")
            return 1
        started = time.perf_counter()
        count = case_state.rebuild(db, by=SYSTEM_USER.username)
    finally:
        db.close()
    print(f"Case state rebuilt from the records: {count:,} episodes ({time.perf_counter() - started:.1f} s).")
    return 0


def _cmd_restore(args) -> int:
    from .services import admin

    try:
        target = admin.restore(Path(args.backup), Path(args.db), SYSTEM_USER)
    except FieldProblems as exc:
        for text in exc.problems.values():
            print(f"error: {text}", file=sys.stderr)
        return 2
    print(f"Restored {args.backup} into {target}. Serve it with CLINIC_DB={target} make run")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Hamstring tendinopathy clinic dashboard")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the app (demo clinic unless CLINIC_DB is set)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default=None)
    p.add_argument(
        "--secrets",
        default=None,
        help="a secrets.toml to use instead of .streamlit/secrets.toml (its [auth] section configures single sign-on)",
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("demo", help="build a fictional demo clinic")
    p.add_argument("--db", required=True)
    p.add_argument("--cases", type=int, default=150)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--replace", action="store_true", help="delete the file first if it exists")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("import-patients", help="import patients (and episodes) from a UTF-8 CSV file")
    p.add_argument("--db", required=True)
    p.add_argument("file")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("users", help="list or add user accounts")
    p.add_argument("--db", required=True)
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("--username")
    p.add_argument("--name", help="full name shown in the app")
    p.add_argument("--role", default=Role.CLINICIAN.value, choices=[r.value for r in Role])
    p.add_argument("--admin", action="store_true", help="make the user an administrator")
    p.add_argument("--password", help=argparse.SUPPRESS)  # refused with a word: passwords are asked for
    p.set_defaults(func=_cmd_users)

    p = sub.add_parser("handouts", help="print (issue and record) patient handouts")
    p.add_argument("--db", required=True)
    p.add_argument("--episode", type=int, help="one episode's handout")
    p.add_argument("--out", help="the PDF file for --episode")
    p.add_argument("--all-open", action="store_true", help="one PDF per open episode")
    p.add_argument("--out-dir", help="the folder for --all-open")
    p.add_argument("--letter", action="store_true", help="US Letter paper (default A4)")
    p.add_argument("--large-print", action="store_true", help="large print (body text 16 pt)")
    p.set_defaults(func=_cmd_handouts)

    p = sub.add_parser("backup", help="copy the database (consistent snapshot) into a folder")
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True, help="folder for the backup file")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("rebuild-state", help="recompute every episode's case state from the records")
    p.add_argument("--db", required=True)
    p.add_argument("--check", action="store_true", help="only compare the stored state with the records")
    p.set_defaults(func=_cmd_rebuild_state)

    p = sub.add_parser("restore", help="restore a backup into a new database file")
    p.add_argument("--backup", required=True, help="a backup file made by 'backup'")
    p.add_argument("--db", required=True, help="the new database file (must not exist)")
    p.set_defaults(func=_cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DatabaseInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.command == "backup":
            print("While the app is running, use Administration > Data and backups > Back up now.", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (NotDone, FieldProblems, PermissionError, LookupError) as exc:  # refusals that say what happened
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"error: {exc.strerror or exc}{where}. Stopped; see the messages above for what was done.", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback on the command line; the details are logged
        import logging
        import tempfile

        log = Path(tempfile.gettempdir()) / "dashboard-cli-error.log"
        logging.basicConfig(filename=log, level=logging.ERROR)
        logging.getLogger("dashboard.cli").exception("%s failed", args.command)
        print(
            f"error: something unexpected went wrong ({type(exc).__name__}: {exc}); details are in {log}.",
            file=sys.stderr,
        )
        return 1
