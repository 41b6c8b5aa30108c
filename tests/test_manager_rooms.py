"""The manager's two views of rooms (room -> members, and each sid's rooms) stay the same
through any sequence of joins, leaves, room closes and disconnects."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from socketio_rs.manager import CONNECTED, AsyncManager

SIDS = ["a", "b", "c"]
ROOMS = ["r1", "r2", "r3"]
ops = st.lists(
    st.tuples(
        st.sampled_from(["enter", "leave", "close", "disconnect", "connect"]),
        st.sampled_from(SIDS),
        st.sampled_from(ROOMS),
        st.sampled_from(["/", "/chat"]),
    ),
    max_size=40,
)


def scan(manager: AsyncManager, sid: str, namespace: str) -> set[Any]:
    """A sid's rooms found the slow way, by looking at every room."""
    return {
        room
        for room, members in manager.rooms.get(namespace, {}).items()
        if room is not CONNECTED and sid in members
    }


@settings(max_examples=300, deadline=None)
@given(ops)
def test_each_sids_rooms_match_the_rooms_table(sequence: list[tuple[str, str, str, str]]) -> None:
    manager = AsyncManager()
    connected: set[tuple[str, str]] = set()
    for op, sid, room, ns in sequence:
        if op == "connect" and (sid, ns) not in connected:
            manager.basic_enter_room(sid, ns, CONNECTED, eio_sid="e" + sid)
            manager.basic_enter_room(sid, ns, sid, eio_sid="e" + sid)
            connected.add((sid, ns))
        elif op == "enter" and (sid, ns) in connected:
            manager.basic_enter_room(sid, ns, room)
        elif op == "leave":
            manager.basic_leave_room(sid, ns, room)
        elif op == "close":
            manager.basic_close_room(room, ns)
        elif op == "disconnect":
            manager.basic_disconnect(sid, ns)
            connected.discard((sid, ns))
        for s in SIDS:
            for n in ("/", "/chat"):
                assert set(manager.get_rooms(s, n)) == scan(manager, s, n)
    for sid, ns in list(connected):
        manager.basic_disconnect(sid, ns)
    assert manager.rooms == {} and manager._member_of == {}
