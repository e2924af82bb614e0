"""The storage layer against real DuckDB files: migrations, transactions, the write lock, the file lock."""

import subprocess
import sys
import threading

import pytest

from dashboard.storage import db as dbmod
from dashboard.storage.db import Database, latest_migration


def test_new_file_is_migrated_to_latest_and_recorded(tmp_path):
    db = Database(tmp_path / "new.duckdb")
    assert db.schema_version() == latest_migration()
    rows = db.rows("SELECT version, name FROM schema_version ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, latest_migration() + 1))
    assert rows[0]["name"] == "001_clinic_record.sql"
    db.close()


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "c.duckdb"
    Database(path).close()
    db = Database(path)
    assert db.migrate() == []
    assert db.scalar("SELECT count(*) FROM schema_version") == latest_migration()
    db.close()


def test_old_database_is_upgraded_in_place(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    every = dbmod._migration_files()
    monkeypatch.setattr(dbmod, "_migration_files", lambda: every[:1])
    old = Database(path)
    old.rows("SELECT 1")
    with old.transaction() as cur:
        cur.execute("INSERT INTO clinic_settings VALUES ('clinic_name', 'Old clinic', now()::TIMESTAMP, 'x')")
    old.close()
    monkeypatch.setattr(dbmod, "_migration_files", lambda: every)
    upgraded = Database(path)
    assert upgraded.schema_version() == latest_migration()
    assert (
        upgraded.scalar("SELECT setting_value FROM clinic_settings WHERE setting_key = 'clinic_name'") == "Old clinic"
    )
    upgraded.close()


def test_failed_transaction_leaves_nothing(tmp_path):
    db = Database(tmp_path / "t.duckdb")
    with pytest.raises(RuntimeError), db.transaction() as cur:
        cur.execute("INSERT INTO clinic_settings VALUES ('a', 'b', now()::TIMESTAMP, 'x')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM clinic_settings") == 0
    db.close()


def test_concurrent_writers_in_one_process_all_land(tmp_path):
    db = Database(tmp_path / "w.duckdb")
    errors = []

    def writer(n):
        try:
            for i in range(50):
                with db.transaction() as cur:
                    cur.execute("INSERT INTO clinic_settings VALUES (?, 'v', now()::TIMESTAMP, 'x')", [f"k{n}-{i}"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.scalar("SELECT count(*) FROM clinic_settings") == 400
    db.close()


def test_second_process_gets_a_clear_message(tmp_path):
    path = tmp_path / "busy.duckdb"
    holder = Database(path)
    code = (
        "import sys; from dashboard.storage.db import Database, DatabaseInUse\n"
        "try:\n    Database(sys.argv[1])\nexcept DatabaseInUse as e:\n    print('IN USE:', e); sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "already open in another program" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    holder.close()


def test_not_a_database_is_reported(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("this is not a database")
    with pytest.raises(dbmod.DatabaseError):
        Database(bad)


def _columns(db) -> set[tuple[str, str]]:
    return {
        (r["table_name"], r["column_name"])
        for r in db.rows(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
    }


def test_postgresql_migrated_from_scratch_has_the_same_tables_and_columns(tmp_path, pg_server):
    from dashboard.storage.db import open_database

    name = pg_server.create()
    pg = open_database(pg_server.url(name))
    duck = Database(tmp_path / "same.duckdb")
    try:
        assert pg.schema_version() == duck.schema_version() == latest_migration()
        assert _columns(pg) == _columns(duck)
        assert pg.migrate() == []  # a second server starting finds nothing to do
        # PostgreSQL's own line of a migration ran there (the unsigned drafts' partial index), and not on DuckDB
        assert pg.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'assessments_unsigned_idx'") == 1
        assert duck.scalar("SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'assessments_unsigned_idx'") == 0
    finally:
        pg.close()
        duck.close()
        pg_server.drop(name)


def test_unreachable_postgresql_is_refused_with_a_clear_message(pg_server):
    from tests.serverproc import free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/clinic"
    code = (
        "import sys; from dashboard.storage.db import open_database, DatabaseError\n"
        "try:\n    open_database(sys.argv[1])\nexcept DatabaseError as e:\n    print('REFUSED:', e); sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "Cannot reach the clinic database postgresql://nobody@127.0.0.1" in done.stdout
    assert "secret" not in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_generation_counts_writes_of_the_record_only(demo_db):
    start = demo_db.generation
    with demo_db.transaction() as cur:
        cur.execute("INSERT INTO clinic_settings VALUES ('g1', 'v', CAST(now() AS TIMESTAMP), 'x')")
    with demo_db.transaction(records=False) as cur:
        cur.execute("INSERT INTO clinic_settings VALUES ('g2', 'v', CAST(now() AS TIMESTAMP), 'x')")
    assert demo_db.generation == start + 1


def _read_in_thread(db):
    """Start a read of ``db`` in another thread; returns (an event set when the read has its answer, the answer)."""
    done, got = threading.Event(), []

    def read():
        got.append(db.scalar("SELECT count(*) FROM clinic_settings"))
        done.set()

    threading.Thread(target=read, daemon=True).start()
    return done, got


def test_a_read_gives_way_to_a_write_in_progress_and_sees_it(empty_target):
    """Issue #15: a page read in one session waits while another session's save holds the write (so the save is
    not slowed by it), then reads what the save committed; the writer's own reads inside it never wait."""
    from dashboard.storage.db import open_database

    db = open_database(empty_target)
    db._writes_first.patience = 30.0  # longer than the write below is held
    try:
        before = db.scalar("SELECT count(*) FROM clinic_settings")
        inside, release = threading.Event(), threading.Event()
        own_reads = []

        def write():
            with db.transaction() as cur:
                cur.execute("INSERT INTO clinic_settings VALUES ('gives-way', 'v', now()::TIMESTAMP, 'x')")
                own_reads.append(db.scalar("SELECT 1"))  # another cursor, same thread: does not wait for itself
                inside.set()
                release.wait(60)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert inside.wait(30), "the write never started"
        done, got = _read_in_thread(db)
        assert not done.wait(1.0), "the read went ahead while the write was in progress"
        release.set()
        assert done.wait(30), "the read did not go ahead once the write had committed"
        writer.join(30)
        assert got == [before + 1]  # it read after the commit: the new row is there
        assert own_reads == [1]
    finally:
        db.close()


def test_a_read_waits_for_a_write_at_most_its_patience(empty_target):
    """A write that takes long (one waiting on another app server's lock) holds a read up only for the
    patience (READ_PATIENCE), then the read goes ahead and sees what was committed before the write."""
    from dashboard.storage.db import open_database

    db = open_database(empty_target)
    db._writes_first.patience = 0.3  # the write below is held for up to 60 s
    try:
        inside, release = threading.Event(), threading.Event()

        def write():
            with db.transaction() as cur:
                cur.execute("INSERT INTO clinic_settings VALUES ('slow', 'v', now()::TIMESTAMP, 'x')")
                inside.set()
                release.wait(60)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert inside.wait(30)
        done, got = _read_in_thread(db)
        assert done.wait(10), "the read waited for the write beyond its patience"
        assert got == [0]  # the uncommitted row is not seen
        many = threading.Event()  # a page view's reads wait the patience in all, not each
        db._writes_first.patience = 3.0

        def eight_reads():
            for _ in range(8):
                db.scalar("SELECT count(*) FROM clinic_settings")
            many.set()

        threading.Thread(target=eight_reads, daemon=True).start()
        assert many.wait(12), "a thread's reads waited their patience again and again (8 x 3 s)"
        release.set()
        writer.join(30)
        assert db.scalar("SELECT count(*) FROM clinic_settings") == 1
    finally:
        db.close()


def test_a_read_waits_only_for_the_writes_that_came_before_it(empty_target):
    """A stream of writes cannot hold a read up: the read waits for the write in progress when it came, and goes
    ahead while a write that came after it still holds the lock."""
    from dashboard.storage.db import open_database

    db = open_database(empty_target)
    db._writes_first.patience = 120.0  # longer than the waits below: only the order lets the read go
    try:
        first_in, first_go, second_in, second_go = (threading.Event() for _ in range(4))

        def write(key, inside, go):
            with db.transaction() as cur:
                cur.execute("INSERT INTO clinic_settings VALUES (?, 'v', now()::TIMESTAMP, 'x')", [key])
                inside.set()
                go.wait(60)

        first = threading.Thread(target=write, args=("first", first_in, first_go), daemon=True)
        second = threading.Thread(target=write, args=("second", second_in, second_go), daemon=True)
        first.start()
        assert first_in.wait(30)
        done, got = _read_in_thread(db)
        assert not done.wait(1.0), "the read went ahead of the write in progress"
        second.start()
        queue = db._writes_first
        with queue._cond:  # the second write has come (it waits for the first's lock)
            assert queue._cond.wait_for(lambda: len(queue._writing) == 2, timeout=30)
        first_go.set()
        assert second_in.wait(30)  # the second write holds the lock now
        assert done.wait(30), "the read waited for a write that came after it"
        assert got == [1]  # the first write's row; the second is not committed
        second_go.set()
        first.join(30)
        second.join(30)
    finally:
        db.close()
