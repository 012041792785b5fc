"""A small schema and a kernel-only database for the HTTP layer's tests.

The HTTP layer must not depend on what addons contribute, so its tests serve a schema of
their own: a connection with page arguments (for the cost and page limits), a field that
fails unexpectedly (masking), a mutation that writes (the unit of work) and subscriptions.
The database is a real kernel database (users, tokens) plus one scratch table, ``t_note``.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncGenerator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import strawberry
from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    select,
)
from strawberry.types import Info

from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.security import create_token, create_user, ensure_role
from openjxc.graphql.context import get_session
from openjxc.graphql.errors import Forbidden
from openjxc.testing.fixtures import create_test_database

with warnings.catch_warnings():
    # Starlette asks for its httpx fork, which is not a dependency of the project.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

PASSWORD = "correct-horse-battery"
SECRET = "password=hunter2"

scratch = MetaData()
notes = Table("t_note", scratch, Column("id", Integer, primary_key=True),
              Column("body", String(100), nullable=False),
              # Checked at COMMIT: the way to make a commit itself fail, on both backends.
              Column("parent_id", Integer,
                     ForeignKey("t_note.id", deferrable=True, initially="DEFERRED")))


@strawberry.type
class Note:
    id: int
    body: str

    @strawberry.field
    def secret(self) -> str | None:
        raise Forbidden("You may not see the secret")

    @strawberry.field
    def replies(self, first: int | None = None, last: int | None = None) -> NoteConnection:
        return NoteConnection(edges=[], total_count=0)


@strawberry.type
class NoteEdge:
    cursor: str
    node: Note


@strawberry.type
class NoteConnection:
    edges: list[NoteEdge]
    total_count: int


def _notes(info: Info[Any, Any], limit: int) -> list[Note]:
    rows = get_session(info).execute(select(notes.c.id, notes.c.body).order_by(notes.c.id)
                                     .limit(limit))
    return [Note(id=row.id, body=row.body) for row in rows]


@strawberry.type
class Query:
    @strawberry.field
    def notes(self, info: Info[Any, Any], first: int | None = None,
              last: int | None = None) -> NoteConnection:
        found = _notes(info, first or last or 20)
        return NoteConnection(edges=[NoteEdge(cursor=str(n.id), node=n) for n in found],
                              total_count=len(found))

    @strawberry.field
    def notes_by_id(self, info: Info[Any, Any], ids: list[int]) -> list[Note | None]:
        found = {n.id: n for n in _notes(info, 1000)}
        return [found.get(i) for i in ids]

    @strawberry.field
    def hello(self) -> str:
        return "hello"

    @strawberry.field
    def me(self, info: Info[Any, Any]) -> str | None:
        principal = info.context.principal
        return principal.username if principal is not None else None

    @strawberry.field
    def locale(self, info: Info[Any, Any]) -> str:
        return str(info.context.locale)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError(f"the database said {SECRET}")

    @strawberry.field
    def forbidden(self) -> str:
        raise Forbidden("You may not see this")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def note_add(self, info: Info[Any, Any], body: str, fail: bool = False) -> int:
        session = get_session(info)
        new_id = session.execute(insert(notes).values(body=body).returning(notes.c.id)).scalar_one()
        if fail:
            raise RuntimeError("failed after writing")
        return int(new_id)

    @strawberry.mutation
    def note_create(self, info: Info[Any, Any], body: str) -> Note:
        new_id = Mutation.note_add(self, info, body)
        return Note(id=new_id, body=body)

    @strawberry.mutation
    def note_reply(self, info: Info[Any, Any], parent: int, body: str) -> int:
        values = {"body": body, "parent_id": parent}
        new_id = get_session(info).execute(insert(notes).values(**values)
                                           .returning(notes.c.id)).scalar_one()
        return int(new_id)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, info: Info[Any, Any], count: int = 3) -> AsyncGenerator[int, None]:
        for i in range(count):
            yield i
            await asyncio.sleep(0)

    @strawberry.subscription
    async def whoami(self, info: Info[Any, Any]) -> AsyncGenerator[str, None]:
        yield f"{info.context.principal.username} {len(_notes(info, 100))}"

    @strawberry.subscription
    async def forever(self) -> AsyncGenerator[int, None]:
        while True:
            yield 0
            await asyncio.sleep(0.05)


def build_test_schema(env: Environment, extensions: Sequence[Any]) -> strawberry.Schema:
    """The ``schema_builder`` of the tests: this module's schema with the app's extensions."""
    return strawberry.Schema(Query, Mutation, Subscription, extensions=list(extensions))


def kernel_env(url: str, settings: Settings | None = None) -> Environment:
    """A kernel-only environment on a fresh database at head, with ``t_note``."""
    env = Environment([], database=Database(url), settings=settings or Settings())
    create_test_database(env)
    scratch.create_all(env.database.engine)
    return env


def add_user(env: Environment, username: str, permissions: Sequence[str] = (),
             locale: str | None = None) -> str:
    """A user holding ``permissions`` (through a role of their own); returns a token."""
    role = f"r_{username}"
    with env.unit_of_work() as session:
        ensure_role(session, role, permissions, env=env)
        create_user(session, env, username, PASSWORD, roles=[role], locale=locale)
    with env.unit_of_work() as session:
        return create_token(session, env, username, PASSWORD).token


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
