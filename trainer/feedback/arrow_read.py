"""One SQLite query answered as Arrow columns by ADBC's SQLite driver, in a child process.

:func:`query` is how :mod:`trainer.feedback.store` reads a large result in
bulk: the driver builds Arrow arrays in C, so no Python object is made per
value (1M rows of the store: about a third of the time of ``sqlite3``'s
row tuples). The driver links its own copy of SQLite. Two copies of SQLite in
one process break SQLite's POSIX file locks (closing the file in one copy
drops the locks the other holds, so a writer in the same process can corrupt
the store), which is why the driver runs in a short-lived child
(``python -m trainer.feedback.arrow_read``) that touches nothing else: the
request (path, SQL, parameters) goes in on stdin as JSON, the rows come back
on stdout as an Arrow IPC stream. The child opens the file read-only.

:func:`query` returns None when the driver is not installed or refuses the
query (it types each column from its first batch, and SQLite lets a column
hold mixed kinds); the store then reads through ``sqlite3``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BATCH_ROWS = 65_536   # rows the driver types a column from, and streams at a time
REFUSED = 3           # the child's exit status when the driver refuses the query


def available() -> bool:
    return importlib.util.find_spec("adbc_driver_sqlite") is not None


def query(path: str | Path, sql: str, params: list):
    """The query's rows as a ``pyarrow.Table``; None when ADBC is missing or cannot type the result."""
    if not available():
        return None
    import pyarrow as pa

    request = json.dumps({"path": str(Path(path).resolve()), "sql": sql, "params": list(params)})
    child = subprocess.Popen([sys.executable, "-m", "trainer.feedback.arrow_read"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        child.stdin.write(request.encode())
        child.stdin.close()
        try:
            table = pa.ipc.open_stream(child.stdout).read_all()
        except (pa.ArrowInvalid, OSError):
            table = None
        finally:
            child.stdout.close()
    finally:
        status = child.wait()
    return table if status == 0 else None


def _serve() -> int:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa
    from adbc_driver_manager import Error as AdbcError

    request = json.loads(sys.stdin.read())
    uri = Path(request["path"]).as_uri() + "?mode=ro"
    try:
        with adbc.connect(uri) as conn, conn.cursor() as cursor:
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
            cursor.execute(request["sql"], request["params"] or None)
            reader = cursor.fetch_record_batch()
            with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as stream:
                for batch in reader:
                    stream.write_batch(batch)
    except (AdbcError, OSError) as exc:
        print(f"arrow_read: {exc}", file=sys.stderr)
        return REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
