"""Photos of a proposal's location over HTTP, on a real hub (both stores): what is refused, what is kept
(no EXIF, no GPS: the stored file is read back), who may add and remove, and what anyone may see."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import ExifTags, Image

from harness.sample import usulan
from server.keys import CONFIG, PHOTO_UPLOADS, SESSIONS
from service.photos import MAX_UPLOAD, THUMB_SIDE
from tests.server.conftest import Hub

TITIK = {"lat": -8.2883, "lng": 114.3167}


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A camera-like JPEG: a picture, its model, and where it was taken (EXIF GPS IFD)."""
    img = Image.new("RGB", size, (40, 120, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Kamera Desa"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "S", (8.0, 17.0, 18.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (114.0, 19.0, 0.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (800, 600), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0).save(out, "PNG")
    return out.getvalue()


async def _send(hub: Hub, who: str | None, method: str, path: str, body: bytes | None = None
                ) -> tuple[int, dict[str, Any] | bytes, Any]:
    headers = {"Authorization": f"Bearer {hub.token(who)}"} if who else {}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.request(method, f"{hub.url}{path}", data=body) as r:
            payload = await r.json() if r.content_type == "application/json" else await r.read()
            return r.status, payload, r.headers


async def upload(hub: Hub, who: str | None, proposal: str, body: bytes, query: str = "") -> tuple[int, Any]:
    path = f"/api/sessions/{hub.session}/proposals/{proposal}/photos{query}"
    status, payload, _ = await _send(hub, who, "POST", path, body)
    return status, payload


async def _rows(hub: Hub) -> dict[str, Any]:
    return {r["proposal"]: r for r in (await hub.app[SESSIONS].get(hub.session)).read_models(
        ["board"], "public")["board"]["proposals"]}


async def _proposal(hub: Hub, who: str, **changes: Any) -> str:
    client = await hub.connect(who)
    await client.ok("proposal.submit", usulan(**changes))
    return list(await _rows(hub))[-1]


async def test_a_photo_loses_its_exif_and_gps_and_anyone_sees_it(hub: Hub) -> None:
    hall = hub.villages[1]
    pid = await _proposal(hub, hall)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's photo has a position
    status, reply = await upload(hub, hall, pid, original)
    assert status == 201 and reply["ok"], reply
    [photo] = (await _rows(hub))[pid]["photos"]
    assert (photo["width"], photo["height"]) == (1600, 1200)

    status, served, headers = await _send(hub, None, "GET", f"/api/sessions/{hub.session}/photos/{photo['photo']}.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and "max-age" in headers["Cache-Control"]
    stored = Path(hub.app[CONFIG].data_dir, "photos", hub.session, f"{photo['photo']}.jpg").read_bytes()
    assert served == stored
    for body in (stored, served):
        kept = Image.open(io.BytesIO(body))
        assert not kept.getexif() and not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) and "exif" not in kept.info
        assert b"Exif\x00\x00" not in body and b"Kamera Desa" not in body
    [added] = [e for e in await hub.app[SESSIONS].log.read(hub.session) if e.type == "proposal.photo_added"]
    assert added.data["sha256"] == hashlib.sha256(stored).hexdigest() and added.data["bytes"] == len(stored)

    status, thumb, _ = await _send(hub, None, "GET", f"/api/sessions/{hub.session}/photos/{photo['photo']}.thumb.jpg")
    assert status == 200 and max(Image.open(io.BytesIO(thumb)).size) == THUMB_SIDE
    assert (await _send(hub, None, "GET", f"/api/sessions/{hub.session}/photos/F-000000000000.jpg"))[0] == 404
    assert (await _send(hub, None, "GET", f"/api/sessions/{hub.session}/photos/..%2Fhub.sqlite3"))[0] == 404


async def test_what_is_not_a_jpeg_or_png_is_refused_and_nothing_is_kept(hub: Hub) -> None:
    hall = hub.villages[1]
    pid = await _proposal(hub, hall)
    gif = io.BytesIO()
    Image.new("RGB", (50, 50)).save(gif, "GIF")
    for body in (b"%PDF-1.7 bukan foto", gif.getvalue(), jpeg_with_gps()[:2000], b""):
        status, reply = await upload(hub, hall, pid, body)
        assert (status, reply["error"]) == (415, "not_an_image"), reply
    assert (await _rows(hub))[pid]["photos"] == []
    assert not list(Path(hub.app[CONFIG].data_dir, "photos").rglob("*.jpg"))


async def test_too_large_a_file_or_picture_is_refused(hub: Hub) -> None:
    hall = hub.villages[1]
    pid = await _proposal(hub, hall)
    status, reply = await upload(hub, hall, pid, jpeg_with_gps() + b"\0" * MAX_UPLOAD)
    assert (status, reply["error"]) == (413, "too_large")
    status, reply = await upload(hub, hall, pid, png((10_000, 6_000), mode="1"))  # 60 megapixels in a small file
    assert (status, reply["error"]) == (413, "too_large") and "megapiksel" in reply["message"]
    status, reply = await upload(hub, hall, pid, png())  # a transparent PNG is fine: onto white
    assert status == 201, reply


async def test_three_photos_a_proposal_and_only_its_own_village_adds_them(hub: Hub) -> None:
    hall, other = hub.villages[1], hub.villages[2]
    pid = await _proposal(hub, hall)
    for who in (other, "moderator", None):
        status, reply = await upload(hub, who, pid, jpeg_with_gps((320, 240)))
        assert (status, reply["error"]) == (403, "forbidden"), who
    for _ in range(3):
        assert (await upload(hub, hall, pid, jpeg_with_gps((320, 240))))[0] == 201
    status, reply = await upload(hub, hall, pid, jpeg_with_gps((320, 240)))
    assert (status, reply["error"]) == (409, "too_many_photos")
    assert len(list(Path(hub.app[CONFIG].data_dir, "photos", hub.session).glob("F-*.thumb.jpg"))) == 3

    first = (await _rows(hub))[pid]["photos"][0]["photo"]
    stranger, mod = await hub.connect(other), await hub.connect("moderator")
    assert (await stranger.cmd("proposal.photo_remove", proposal=pid, photo=first))["error"] == "forbidden"
    await mod.ok("proposal.photo_remove", proposal=pid, photo=first)  # its files go once that is durable
    assert (await _send(hub, None, "GET", f"/api/sessions/{hub.session}/photos/{first}.jpg"))[0] == 404
    assert not Path(hub.app[CONFIG].data_dir, "photos", hub.session, f"{first}.jpg").exists()
    assert (await upload(hub, hall, pid, jpeg_with_gps((320, 240))))[0] == 201  # its place is free again


async def test_a_retried_upload_is_recorded_once(hub: Hub) -> None:
    hall = hub.villages[1]
    pid = await _proposal(hub, hall)
    body = jpeg_with_gps((320, 240))
    first, again = [await upload(hub, hall, pid, body, "?key=foto-1") for _ in range(2)]
    assert first[0] == again[0] == 201 and first[1]["version"] == again[1]["version"]
    assert len((await _rows(hub))[pid]["photos"]) == 1
    assert len(list(Path(hub.app[CONFIG].data_dir, "photos", hub.session).glob("F-*.thumb.jpg"))) == 1


@pytest.mark.hub(photo_quota_mb=0.05)
async def test_a_villages_photos_stay_within_its_quota(hub: Hub) -> None:
    hall = hub.villages[1]
    first, second = await _proposal(hub, hall), await _proposal(hub, hall)
    noisy = Image.effect_noise((900, 700), 80).convert("RGB")  # noise does not compress: ~100 KB stored
    out = io.BytesIO()
    noisy.save(out, "JPEG")
    small = jpeg_with_gps((64, 48))
    assert (await upload(hub, hall, first, small))[0] == 201
    status, reply = await upload(hub, hall, second, out.getvalue())
    assert (status, reply["error"]) == (409, "photo_quota"), reply
    assert not (await _rows(hub))[second]["photos"]
    assert len(list(Path(hub.app[CONFIG].data_dir, "photos", hub.session).glob("F-*.jpg"))) == 2  # one and its thumb


async def test_the_new_fields_ride_the_channel_and_the_sheets(hub: Hub) -> None:
    hall = hub.villages[1]
    village, public, mod = await hub.connect(hall), await hub.connect(), await hub.connect("moderator")
    await public.sync()
    lokasi = {"dusun": "Krajan", "rt": "002", "rw": "001", "titik": TITIK}
    await village.ok("proposal.submit", usulan(masalah="Banjir tiap musim hujan", lokasi=lokasi, opd="pu-pengairan"))
    reply = await village.cmd("proposal.submit", usulan(opd="dinas-khayalan"))
    assert (reply["ok"], reply["error"]) == (False, "unknown_opd")
    await public.wait_for(lambda m: m.get("board", {}).get("proposals"))
    [row] = public.models["board"]["proposals"]
    assert (row["masalah"], row["lokasi"]["titik"], row["opd"], row["opd_name"]) == (
        "Banjir tiap musim hujan", TITIK, "pu-pengairan", "Dinas Pekerjaan Umum Pengairan")
    assert (await upload(hub, hall, row["proposal"], jpeg_with_gps((320, 240))))[0] == 201
    await public.wait_for(lambda m: m["board"]["proposals"][0]["photos"])
    await mod.ok("proposal.accept", proposal=row["proposal"])

    status, body, _ = await _send(hub, "chair", "GET", f"/api/sessions/{hub.session}/export/sipd.csv")
    assert status == 200 and isinstance(body, bytes)
    [kept] = list(csv.DictReader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))
    assert (kept["Permasalahan"], kept["Lintang"], kept["Bujur"], kept["OPD tujuan"], kept["Foto"]) == (
        "Banjir tiap musim hujan", "-8.2883", "114.3167", "Dinas Pekerjaan Umum Pengairan", "1")
    link = kept["Tautan foto"]
    assert link.startswith(f"{hub.url}/api/sessions/{hub.session}/photos/F-")
    async with aiohttp.ClientSession() as http, http.get(link) as r:
        assert r.status == 200 and r.content_type == "image/jpeg"


async def test_a_village_uploads_at_most_so_many_an_hour(hub: Hub) -> None:
    hub.app[PHOTO_UPLOADS].limit = 2  # the hub's is UPLOADS_PER_HOUR: each upload costs a re-encoding
    hall, other = hub.villages[1], hub.villages[2]
    pid, theirs = await _proposal(hub, hall), await _proposal(hub, other)
    assert [(await upload(hub, hall, pid, b"bukan foto"))[0] for _ in range(3)] == [415, 415, 429]
    assert (await upload(hub, other, theirs, jpeg_with_gps((64, 48))))[0] == 201  # per village
