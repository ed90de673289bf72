"""Writing a new row on a hot path without the ORM's unit of work.

The unit of work works out what to write, in what order, and then writes it; for one new row that
is several times the cost of the INSERT itself. `insert_loaded` writes the row with one plain
INSERT ... RETURNING and hands the session an object exactly as if it had been read back: nothing
is pending and nothing is read again. It is for new rows only; changes still go through the ORM,
whose guards refuse changes to what was written about a child.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Insert, event, insert
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached

from ..extensions import db

Model = TypeVar("Model")

# One statement per table, built once: building it costs more than running it.
_STATEMENTS: dict[str, Insert] = {}


def insert_loaded(model: type[Model], values: dict[str, Any], *, listeners_done_by_caller: bool = False) -> Model:
    """Insert one row of `model` (values by attribute name) and return it as a loaded object.

    Columns left out take their defaults in the INSERT, and RETURNING brings back every column, so
    the object holds exactly what the database holds. A model with insert listeners (a guard, such
    as a version's child being its observation's) is refused unless the caller says it has done
    what they do: otherwise the guard would be skipped without a word.
    """
    mapper = model.__mapper__  # type: ignore[attr-defined]
    if (mapper.dispatch.before_insert or mapper.dispatch.after_insert) and not listeners_done_by_caller:
        raise TypeError(f"{model.__name__} has insert listeners that insert_loaded would skip")
    table = mapper.local_table
    statement = _STATEMENTS.get(table.name)
    if statement is None:
        statement = _STATEMENTS[table.name] = insert(table).returning(*table.c)
    columns = mapper.columns
    row = db.session.connection().execute(
        statement, {columns[key].key: value for key, value in values.items()}).one()
    record = model(**{key: row._mapping[column.key] for key, column in columns.items()})
    make_transient_to_detached(record)
    session = db.session()
    session.add(record)
    # A rollback takes the row away, so it must take the object away too, as it does for an object
    # the unit of work wrote; otherwise the next row given the same id could not join the session.
    written_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WRITTEN, []).append((written_in, record))
    return record


_WRITTEN = "rows_inserted_by_hand"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for transaction, record in written:
        if _inside(transaction, previous_transaction):
            if record in session:
                session.expunge(record)
        else:
            kept.append((transaction, record))
    session.info[_WRITTEN] = kept


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    # The real transaction has ended. After a commit nothing is left listed (see below); anything
    # still listed was rolled back or abandoned (a close, a failed ROLLBACK), so it goes too.
    if transaction.parent is None:
        for _, record in session.info.pop(_WRITTEN, ()):
            if record in session:
                session.expunge(record)


@event.listens_for(Session, "after_commit")
def _forget_once_committed(session: Session) -> None:
    # Only the real transaction's commit settles it: a savepoint's rows still go with a later rollback.
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
