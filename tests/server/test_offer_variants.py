"""Who may publish is read from the offer aiortc parses, whatever the SDP's spelling (issue 8.3).

The offers are real aiortc offers, mutated: line ends (every break ``str.splitlines`` knows, as
aiortc's parser splits), spellings of the send directions, duplicated m-sections. A view-only
hall's offer that carries a send direction is refused ``forbidden`` or ``bad_offer`` and never
becomes a publisher.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.peers import ClipTrack, OpusTrack, make_client, make_clip, make_opus, offer, wait_for
from media.errors import MediaError
from media.relay import Relay, RelayConfig
from server.keys import SIGNALLING
from tests.server.conftest import Hub

# every break str.splitlines() splits on (aiortc's parser does), not only CR and LF
LINE_ENDS = ("\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
SEND_SPELLINGS = ("a=sendrecv", "a=sendonly", "a=sendrecv:1", "a=sendonly:0", "a=sendrecv ", "a=sendonly\t",
                  "a=SENDRECV", "a=SendOnly", "a=sendrecv:", "")  # "": no direction, which RFC 3264 reads as sendrecv
REFUSED = {"forbidden", "bad_offer"}
PID = "session/35.10.01.2001"


async def _offers() -> tuple[str, str]:
    """A publishing hall's offer (camera layers and mic, three slots) and a watching hall's."""
    clip, opus = make_clip("VP8", seconds=0.2), make_opus(0.1)
    receive = {"program": "video", "floor": "audio", "venue_audio": "audio"}
    sending = make_client(publish={"high": ClipTrack(clip), "low": ClipTrack(clip), "mic": OpusTrack(opus)},
                          receive=receive)
    watching = make_client(receive=receive)
    try:
        return (await offer(sending))[0], (await offer(watching))[0]
    finally:
        await sending.close()
        await watching.close()


@pytest.fixture(scope="module")
def offers() -> tuple[str, str]:
    return asyncio.run(_offers())


def _sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    session: list[str] = []
    media: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            media.append([line])
        else:
            (media[-1] if media else session).append(line)
    return session, media


@st.composite
def variants(draw: st.DrawFn, sdp: str) -> str:
    """``sdp`` respelled: each send direction in some spelling, some m-sections doubled, any line ends."""
    session, media = _sections(sdp)
    out = list(session)
    for section in media:
        lines = [draw(st.sampled_from(SEND_SPELLINGS)) if ln in ("a=sendonly", "a=sendrecv") else ln
                 for ln in section]
        lines = [ln for ln in lines if ln]
        out += lines * draw(st.integers(1, 2))  # a duplicated m-section: same mid, maybe another direction
    ends = draw(st.lists(st.sampled_from(LINE_ENDS), min_size=len(out), max_size=len(out)))
    return "".join(line + end for line, end in zip(out, ends, strict=True))


async def _refused(sdp: str) -> tuple[str, bool]:
    """The error code a view-only hall's offer gets from a fresh relay, and whether it left a feed."""
    relay = Relay(RelayConfig())
    try:
        await relay.answer(PID, sdp, publish=False)
        code = "answered"
    except MediaError as err:
        code = err.code
    peer = relay.peer(PID)
    published = peer is not None and bool(peer.feeds)
    await relay.close()
    return code, published


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_a_viewonly_offer_with_a_send_direction_is_refused_in_any_spelling(offers: tuple[str, str],
                                                                          data: st.DataObject) -> None:
    sdp = data.draw(variants(offers[0]))
    code, published = asyncio.run(_refused(sdp))
    assert code in REFUSED, (code, sdp)
    assert not published


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_send_section_slipped_among_slots_is_refused(offers: tuple[str, str], data: st.DataObject) -> None:
    """A watching hall's offer with one sending m-section copied in, anywhere, in any spelling."""
    session, media = _sections(offers[1])
    send = [s for s in _sections(offers[0])[1] if "a=sendonly" in s]
    chosen = data.draw(st.sampled_from(send))
    media.insert(data.draw(st.integers(0, len(media))), chosen)
    flat = "\r\n".join(session + [ln for s in media for ln in s]) + "\r\n"
    code, published = asyncio.run(_refused(data.draw(variants(flat))))
    assert code in REFUSED and not published


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r", "\u2028"])
async def test_a_watching_offer_is_answered_whatever_its_line_ends(offers: tuple[str, str], end: str) -> None:
    relay = Relay(RelayConfig())
    try:
        answer = await relay.answer(PID, end.join(offers[1].splitlines()) + end, publish=False)
        peer = relay.peer(PID)
        assert answer.startswith("v=0") and peer is not None and not peer.feeds and len(peer.outlets) == 3
    finally:
        await relay.close()


def _respell(sdp: str, how: str) -> str:
    if how == "cr":
        return "\r".join(sdp.splitlines()) + "\r"
    return sdp.replace("a=sendonly\r\n", "a=sendrecv:1\r\n")


@pytest.mark.parametrize("hub", ["sqlite"], indirect=True)
@pytest.mark.parametrize("how", ["cr", "sendrecv:1"])
async def test_the_reported_offers_from_a_viewonly_hall_publish_nothing(hub: Hub, offers: tuple[str, str],
                                                                       how: str) -> None:
    """The two offers that got a view-only credential's media accepted (issue 8.3)."""
    code = next(c for c in hub.villages if c not in hub.interactive)
    hall = await hub.connect(code)
    reply: dict[str, Any] = await hall.sio.call("media.offer", {"sdp": _respell(offers[0], how)}, timeout=20)
    assert reply["ok"] is False and reply["error"] in REFUSED, reply
    relay = hub.app[SIGNALLING].relay
    assert relay.peer(f"{hub.session}/{code}") is None
    watched = await hall.sio.call("media.offer", {"sdp": offers[1]}, timeout=20)  # watching is still fine
    assert watched["ok"], watched
    await wait_for(lambda: relay.peer(f"{hub.session}/{code}") is not None)
    assert relay.stats()[f"{hub.session}/{code}"]["publishing"] == []
