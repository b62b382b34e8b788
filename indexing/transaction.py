"""Writes to the shared SQLite database that one store prepares and another commits.

Registry, keyword index and facts live in the same database file, so a document's keyword rows, facts
and registry row can change in one transaction: after a crash either all of them show the new version
or none does.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, Sequence

# SQL and the parameter rows to run it with (executemany).
Write = tuple[str, Sequence[Sequence]]


def commit(connection: sqlite3.Connection, writes: Iterable[Write]) -> None:
    """Run all writes in one transaction; nothing of them stays if one fails."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in writes:
            connection.executemany(sql, rows)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
