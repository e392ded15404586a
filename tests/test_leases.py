"""One lease per trainee (simulator/store/leases.py): two tabs of one pseudonym never both write.

Two LeasedStore objects on one data directory stand for two browser tabs (each has its own
SQLite connection, as each tab has its own process); the browser tests drive the same thing
through real tabs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.compiled import CompiledScenario
from simulator.practice import Practice
from simulator.store import Store, StoreError, workshop
from simulator.store.leases import (
    STALE_AFTER_S,
    Acquired,
    Held,
    LeasedStore,
    LeaseLost,
    acquire,
    heartbeat,
    holder,
    new_owner,
    release,
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tabs(data_dir: Path) -> Iterator[tuple[LeasedStore, LeasedStore]]:
    with LeasedStore.open(data_dir) as a, LeasedStore.open(data_dir) as b:
        yield a, b


def _count(data_dir: Path, session_id: str) -> int:
    with Store.open(data_dir) as store:
        return len(store.choices(session_id))


def test_a_free_lease_is_taken_and_a_live_one_is_held(
    tabs: tuple[LeasedStore, LeasedStore],
) -> None:
    a, b = tabs
    trainee = a.get_or_create_trainee("Robin")
    first, second = new_owner(), new_owner()
    assert acquire(a, trainee.id, first) == Acquired(first, None)
    assert acquire(a, trainee.id, first) == Acquired(first, None)  # ours again: no question
    held = acquire(b, trainee.id, second)
    assert isinstance(held, Held)
    assert held.holder.owner == first
    current = holder(b, trainee.id)
    assert current is not None and current.owner == first  # nothing changed


def test_takeover_refuses_every_later_write_of_the_first_tab(
    tabs: tuple[LeasedStore, LeasedStore], minimal: CompiledScenario, data_dir: Path
) -> None:
    a, b = tabs
    trainee = a.get_or_create_trainee("Robin")
    first, second = new_owner(), new_owner()
    assert isinstance(acquire(a, trainee.id, first), Acquired)
    a.hold(trainee.id, first)
    lost: list[bool] = []
    a.on_lost = lambda: lost.append(True)
    tab_a = Practice.begin(a, trainee, minimal)
    tab_a.choose(tab_a.session.options()[0])
    assert _count(data_dir, tab_a.row.id) == 1

    taken = acquire(b, trainee.id, second, takeover=True)
    assert isinstance(taken, Acquired) and taken.taken_from is not None
    assert taken.taken_from.owner == first
    b.hold(trainee.id, second)

    with pytest.raises(LeaseLost, match="another tab"):
        tab_a.choose(tab_a.session.options()[0])
    assert lost == [True]
    assert tab_a.session.step == 1  # the first tab did not move on either
    assert heartbeat(a, trainee.id, first) is False

    # The second tab resumes the same session at the first unanswered decision.
    row = b.unfinished_sessions(trainee.id)[0]
    assert row.id == tab_a.row.id
    tab_b = Practice.resume(b, trainee, row, minimal)
    assert tab_b.session.step == 1
    while not tab_b.session.done:
        tab_b.choose(tab_b.session.options()[0])
    with Store.open(data_dir) as store:
        steps = [c.step for c in store.choices(row.id)]
        assert steps == list(range(len(steps)))  # each decision once, none twice
        assert len(store.sessions_for_trainee(trainee.id)) == 1


def test_a_stale_or_dead_holder_is_replaced_without_asking(
    tabs: tuple[LeasedStore, LeasedStore],
) -> None:
    a, b = tabs
    trainee = a.get_or_create_trainee("Robin")
    old = new_owner()
    acquire(a, trainee.id, old, now=1000.0)
    # Heartbeat stopped long ago: taken silently.
    fresh = acquire(b, trainee.id, new_owner(), now=1000.0 + STALE_AFTER_S + 1)
    assert isinstance(fresh, Acquired) and fresh.taken_from is None

    # A holder on this host whose process has ended: taken silently even with a fresh beat.
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    acquire(a, trainee.id, old, takeover=True, pid=dead_pid)
    again = acquire(b, trainee.id, new_owner())
    assert isinstance(again, Acquired) and again.taken_from is None


def test_release_frees_only_our_own_lease(tabs: tuple[LeasedStore, LeasedStore]) -> None:
    a, b = tabs
    trainee = a.get_or_create_trainee("Robin")
    first, second = new_owner(), new_owner()
    acquire(a, trainee.id, first)
    acquire(b, trainee.id, second, takeover=True)
    release(a, trainee.id, first)  # the first tab closing must not free the second's seat
    current = holder(a, trainee.id)
    assert current is not None and current.owner == second
    assert heartbeat(b, trainee.id, second) is True
    release(b, trainee.id, second)
    assert holder(a, trainee.id) is None
    assert isinstance(acquire(a, trainee.id, first), Acquired)


def test_a_tab_without_a_lease_writes_normally_and_joins_its_room(
    data_dir: Path, minimal: CompiledScenario
) -> None:
    with Store.open(data_dir) as store:
        workshop.open_room(store, "tuesday", "ABC234", "minimal")
    with LeasedStore.open(data_dir) as tab:
        tab.room = "tuesday"
        trainee = tab.get_or_create_trainee("Sam")
        practice = Practice.begin(tab, trainee, minimal)
        practice.choose(practice.session.options()[0])
        assert [r.id for r in workshop.room_sessions(tab, "tuesday")] == [practice.row.id]


def test_lease_writes_need_a_known_trainee(tabs: tuple[LeasedStore, LeasedStore]) -> None:
    a, _ = tabs
    with pytest.raises(StoreError):
        acquire(a, 4242, new_owner())  # no such trainee: the foreign key refuses it
