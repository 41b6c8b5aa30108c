"""The decoder's cache of short strings (dict keys, event names, namespaces).

The same text gives the same `str` object; different texts never share one, even when they
differ in a single byte anywhere, and whatever the cache held before.
"""

from __future__ import annotations

import json

from socketio_rs.codec import Decoder, Packet, PacketType


def _texts(n: int) -> list[str]:
    base = "".join(chr(ord("a") + i % 26) for i in range(n))
    variants = [base]
    for at in range(n):
        variants.append(base[:at] + base[at].upper() + base[at + 1 :])
    return variants


def test_keys_differing_in_one_byte_stay_apart() -> None:
    decoder = Decoder()
    for n in range(1, 41):
        keys = _texts(n)
        payload = ["e", {k: i for i, k in enumerate(keys)}]
        for _ in range(2):  # the second time, from the cache
            [packet] = decoder.add("2" + json.dumps(payload))
            assert packet.data == payload
            assert list(packet.data[1]) == keys


def test_event_names_and_namespaces_differing_in_one_byte_stay_apart() -> None:
    decoder = Decoder()
    for n in range(1, 41):
        for name in _texts(n) * 2:
            nsp = "/" + name
            [packet] = decoder.add(f'2{nsp},["{name}",1]')
            assert packet == Packet(PacketType.EVENT, nsp, [name, 1])


def test_the_same_text_gives_the_same_object() -> None:
    decoder = Decoder()
    [a] = decoder.add('2/chat,["message",{"user":"ann"}]')
    [b] = decoder.add('2/chat,["message",{"user":"bob"}]')
    assert a.data[0] is b.data[0]
    assert a.nsp is b.nsp
    assert next(iter(a.data[1])) is next(iter(b.data[1]))
