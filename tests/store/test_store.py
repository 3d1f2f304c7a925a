"""The SQLite store: migrations, transactions, state expiry, dedupe across connections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.store.database import Database
from bot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_migrations_apply_once_and_new_ones_apply_forward(
    new_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "m.db"
    store = new_store(path)
    assert store.schema_version == len(MIGRATIONS)
    store.customers.resolve("web", "u1", NOW)
    store.close()

    def add_column(db: Database) -> None:
        db.execute("ALTER TABLE customers ADD COLUMN nickname TEXT")

    monkeypatch.setattr(
        "bot.store.migrations.MIGRATIONS", [*MIGRATIONS, ("9999_test_nickname", add_column)]
    )
    again = new_store(path)
    assert again.schema_version == len(MIGRATIONS) + 1
    assert again.customers.count() == 1  # data survived
    assert "nickname" in again.db.column_names("customers")
    again.close()
    assert new_store(path).schema_version == len(MIGRATIONS) + 1  # idempotent


# A store made before 0010 is a SQLite file (PostgreSQL came later, with every migration).
@pytest.mark.parametrize("backend", ["sqlite"])
def test_order_events_recorded_before_their_times_were_kept_still_count(
    new_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "e.db"
    names = [name for name, _ in MIGRATIONS]
    monkeypatch.setattr(
        "bot.store.migrations.MIGRATIONS", MIGRATIONS[:names.index("0010_order_event_times")]
    )
    old = new_store(path)
    old.db.execute(
        "INSERT INTO order_events (event_id, order_number, status, body, received_at)"
        " VALUES ('evt-1', 'CL2611190002', 'delivered', '{}', '2026-11-23T12:00:00.000000Z')"
    )
    old.close()
    monkeypatch.setattr("bot.store.migrations.MIGRATIONS", MIGRATIONS)
    store = new_store(path)
    mark = store.orders.current_status("CL2611190002")
    assert mark is not None and (mark.status, mark.at) == ("delivered", NOW)
    store.close()


def test_nested_transactions_roll_back_only_the_inner_part(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("t.db")
    with store.db.transaction():
        store.kv.set("outer", "1", NOW)
        with pytest.raises(ValueError), store.db.transaction():
            store.kv.set("inner", "1", NOW)
            raise ValueError("inner fails")
    assert store.kv.get("outer") == "1" and store.kv.get("inner") is None
    with pytest.raises(RuntimeError), store.db.transaction():
        store.kv.set("gone", "1", NOW)
        raise RuntimeError("all of it")
    assert store.kv.get("gone") is None


def test_flow_state_expires(new_store: Callable[..., Store]) -> None:
    store = new_store("s.db")
    store.states.open("c1", "orders", NOW, timedelta(minutes=10), {"number": "CL1"})
    state = store.states.get("c1", NOW + timedelta(minutes=9))
    assert state is not None and state.flow == "orders" and state.slots == {"number": "CL1"}
    assert store.states.get("c1", NOW + timedelta(minutes=11)) is None
    assert store.states.get("c1", NOW) is None  # expired state was removed


def test_a_message_reads_a_flow_once_and_sees_its_own_writes(
    new_store: Callable[..., Store],
) -> None:
    store = new_store("s.db")
    other = new_store("s.db")  # another connection: another process
    store.states.open("c1", "orders", NOW, timedelta(minutes=10), {"number": "CL1"})
    with store.states.remembered():
        first = store.states.get("c1", NOW)
        other.states.clear("c1")
        # Read once for the message: its routes agree on the flow it began with.
        assert store.states.get("c1", NOW) == first is not None
        store.states.open("c1", "handoff", NOW, timedelta(minutes=5))
        seen = store.states.get("c1", NOW)
        assert seen is not None and seen.flow == "handoff"
        store.states.clear("c1")
        assert store.states.get("c1", NOW) is None
        # A remembered flow still expires.
        store.states.open("c2", "orders", NOW, timedelta(minutes=1))
        assert store.states.get("c2", NOW + timedelta(minutes=2)) is None
    with store.states.remembered():
        assert store.states.get("c3", NOW) is None
        other.states.open("c3", "orders", NOW, timedelta(minutes=10))
        store.states.forget()  # its writes undone, or rows removed around it: read again
        assert store.states.get("c3", NOW) is not None
    other.states.open("c1", "orders", NOW, timedelta(minutes=10))
    state = store.states.get("c1", NOW)  # outside a message: read every time
    assert state is not None and state.flow == "orders"


def test_key_values_expire(new_store: Callable[..., Store]) -> None:
    store = new_store("kv.db")
    store.kv.set("token", "abc", NOW, expires_at=NOW + timedelta(hours=2))
    assert store.kv.get("token", NOW + timedelta(hours=1)) == "abc"
    assert store.kv.get("token", NOW + timedelta(hours=3)) is None


def test_a_delivery_is_claimed_once_across_two_connections(
    new_store: Callable[..., Store]
) -> None:
    path = "d.db"
    first, second = new_store(path), new_store(path)
    assert first.deliveries.claim("wechat", "123", {"text": "hi"}, NOW)
    assert not second.deliveries.claim("wechat", "123", {"text": "hi"}, NOW)
    assert second.deliveries.count() == 1


def test_customers_are_created_once_and_keep_their_identities(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("c.db")
    first = store.customers.resolve("telegram", "42", NOW, display_name="Li", language="en")
    again = store.customers.resolve("telegram", "42", NOW + timedelta(minutes=1))
    assert first.id == again.id and again.language == "en" and again.display_name == "Li"
    assert store.customers.last_inbound_at("telegram", "42") == NOW + timedelta(minutes=1)
    assert store.customers.count() == 1
