"""A tour of the socketio-rs codec: what goes on the wire and what comes back.

Run with ``make demo`` (or ``python examples/codec_demo.py`` once installed).
"""

from __future__ import annotations

from socketio_rs.codec import Decoder, Packet, PacketType, encode
from socketio_rs.exceptions import PacketError


def show(title: str, packet: Packet) -> None:
    """Encodes a packet, prints its frames, decodes them back and checks."""
    frames = encode(packet)
    decoder = Decoder()
    decoded = [p for frame in frames for p in decoder.add(frame)]
    print(f"{title}:")
    for frame in frames:
        print(f"    {frame!r}")
    assert decoded == [packet], decoded
    print(f"    -> {decoded[0]!r}")


def main() -> None:
    """Prints a few packets as the wire carries them, and a few refusals."""
    show(
        "connect to /admin with a token", Packet(PacketType.CONNECT, "/admin", {"token": "s3cr3t"})
    )
    show("chat event with an ack id", Packet(PacketType.EVENT, "/", ["chat", "héllo 😀"], id=12))
    show(
        "event with binary", Packet(PacketType.EVENT, "/files", ["upload", {"chunk": b"\x00\x01"}])
    )
    show("ack", Packet(PacketType.ACK, "/", ["ok", 3.5], id=12))
    print("refused input (the decoder resets and keeps working):")
    decoder = Decoder()
    for frame in ['2["connect"]', "511-[]", '2["unterminated', "9"]:
        try:
            decoder.add(frame)
        except PacketError as err:
            print(f"    {frame!r:22} {err}")
    after = decoder.add('2["still","fine"]')
    print(f"    then: {after!r}")


if __name__ == "__main__":
    main()
