"""The Python-side contract of socketio_rs.codec: PacketType, PacketError, Packet.

Item ids (P1, P9, ...) refer to section 4 of
../shared/reference/socketio-server-behaviour.md.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest

import socketio_rs.exceptions
from codec_helpers import (
    ErrorRule,
)
from socketio_rs.codec import Packet, PacketError, PacketType

# --------------------------------------------------------------------------------------------
# PacketType, PacketError


def test_packet_type_is_an_int_enum_with_the_seven_protocol_types() -> None:
    """P1 / section 4.1: the seven v5 packet types and their numbers."""
    assert issubclass(PacketType, enum.IntEnum)
    assert [(m.name, m.value) for m in PacketType] == [
        ("CONNECT", 0),
        ("DISCONNECT", 1),
        ("EVENT", 2),
        ("ACK", 3),
        ("CONNECT_ERROR", 4),
        ("BINARY_EVENT", 5),
        ("BINARY_ACK", 6),
    ]


def test_packet_error_is_one_class_and_a_value_error() -> None:
    assert PacketError is socketio_rs.exceptions.PacketError
    assert issubclass(PacketError, socketio_rs.exceptions.SocketIOError)
    assert issubclass(PacketError, ValueError)


# --------------------------------------------------------------------------------------------
# Packet


def test_packet_defaults() -> None:
    packet = Packet(PacketType.CONNECT)
    assert (packet.type, packet.nsp, packet.data, packet.id) == (0, "/", None, None)


def test_packet_fields_and_keywords() -> None:
    packet = Packet(type=3, nsp="/admin", data=["a", 1], id=5)
    assert packet.type is PacketType.ACK
    assert packet.nsp == "/admin"
    assert packet.data == ["a", 1]
    assert packet.id == 5


@pytest.mark.parametrize("value", list(range(7)))
def test_packet_type_attribute_is_a_packet_type_member(value: int) -> None:
    packet = Packet(value)
    assert type(packet.type) is PacketType
    assert packet.type is PacketType(value)


@pytest.mark.parametrize("field", ["type", "nsp", "data", "id"])
def test_packet_is_frozen(field: str) -> None:
    packet = Packet(2, "/x", ["a"], 1)
    with pytest.raises(AttributeError):
        setattr(packet, field, 3)
    assert packet == Packet(2, "/x", ["a"], 1)


def test_packet_rejects_new_attributes() -> None:
    packet = Packet(2, "/", ["a"])
    with pytest.raises(AttributeError):
        packet.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Packet(2, "/", ["a"], 1), Packet(PacketType.EVENT, "/", ["a"], 1)),
        (Packet(0), Packet(0, "/", None, None)),
        (Packet(4, "/x", {"message": "m"}), Packet(4, "/x", {"message": "m"})),
        (Packet(2, "/", ["a", b"\x00"]), Packet(2, "/", ["a", b"\x00"])),
    ],
)
def test_packet_equality(left: Packet, right: Packet) -> None:
    assert left == right
    assert not (left != right)


@pytest.mark.parametrize(
    "other",
    [
        Packet(3, "/", ["a"], 1),  # type
        Packet(2, "/b", ["a"], 1),  # nsp
        Packet(2, "/", ["b"], 1),  # data
        Packet(2, "/", None, 1),  # data absent
        Packet(2, "/", ["a"], 2),  # id
        Packet(2, "/", ["a"], None),  # id absent
    ],
)
def test_packet_inequality_on_each_field(other: Packet) -> None:
    packet = Packet(2, "/", ["a"], 1)
    assert packet != other
    assert not (packet == other)


def test_packet_compared_with_other_types_is_unequal() -> None:
    packet = Packet(2, "/", ["a"], 1)
    assert packet != (2, "/", ["a"], 1)
    assert (packet == '2["a"]') is False


def test_packet_hash_follows_equality_for_hashable_data() -> None:
    one = Packet(2, "/", ("a", 1), 3)
    two = Packet(PacketType.EVENT, "/", ("a", 1), 3)
    assert hash(one) == hash(two)
    assert len({one, two, Packet(0), Packet(0)}) == 2
    assert isinstance(hash(Packet(1, "/admin")), int)


@pytest.mark.parametrize("data", [["a"], {"a": 1}, ("a", ["b"])])
def test_packet_hash_fails_like_a_tuple_for_unhashable_data(data: Any) -> None:
    with pytest.raises(TypeError):
        hash(Packet(2, "/", data))


def test_packet_repr() -> None:
    assert (
        repr(Packet(2, data=["foo"]))
        == "Packet(type=PacketType.EVENT, nsp='/', data=['foo'], id=None)"
    )
    assert (
        repr(Packet(3, "/admin", [], 5))
        == "Packet(type=PacketType.ACK, nsp='/admin', data=[], id=5)"
    )


@pytest.mark.parametrize(
    "packet",
    [
        Packet(0),
        Packet(4, "/it's", {"message": "m", "data": [1.5, None, True]}),
        Packet(2, "/", ["ev", b"\x00\xff", {"k": "v"}], 2**53),
    ],
)
def test_packet_repr_evaluates_back_to_an_equal_packet(packet: Packet) -> None:
    assert eval(repr(packet), {"Packet": Packet, "PacketType": PacketType}) == packet


@pytest.mark.parametrize("value", [7, 8, 100, -1])
def test_packet_unknown_type(value: int, reference_error: ErrorRule) -> None:
    with pytest.raises(PacketError) as info:
        Packet(value)
    assert reference_error(str(info.value), f"unknown packet type {value}")


@pytest.mark.parametrize("nsp", [b"/", 1, ["/"]])
def test_packet_nsp_must_be_str(nsp: Any) -> None:
    with pytest.raises(TypeError):
        Packet(2, nsp, ["a"])


def test_packet_nsp_none_is_the_main_namespace() -> None:
    # As python-socketio's Packet(namespace=None).
    assert Packet(2, None, ["a"]) == Packet(2, "/", ["a"])
    assert Packet(2, None, ["a"]).nsp == "/"


@pytest.mark.parametrize("ack_id", [True, False, "1", 1.5, 1.0, b"1"])
def test_packet_id_must_be_int_not_bool(ack_id: Any) -> None:
    with pytest.raises(TypeError):
        Packet(2, "/", ["a"], ack_id)


@pytest.mark.parametrize("ack_id", [-1, 2**53 + 1, 2**64, 2**200, -(2**200)])
def test_packet_id_out_of_range(ack_id: int) -> None:
    with pytest.raises(PacketError, match="ack id out of range"):
        Packet(2, "/", ["a"], ack_id)


@pytest.mark.parametrize("ack_id", [0, 1, 2**31, 2**53])
def test_packet_id_in_range(ack_id: int) -> None:
    assert Packet(2, "/", ["a"], ack_id).id == ack_id


def test_packet_constructor_does_not_validate_data() -> None:
    """Validation happens in encode (JSON) and in is_packet_valid (P15), not in Packet()."""
    assert Packet(2, "/", {1, 2}).data == {1, 2}
    assert Packet(1, "/", ["not allowed on the wire"]).data == ["not allowed on the wire"]
    assert Packet(0, "/", [b"x"]).data == [b"x"]
