"""A village hall proposes with what the next level asks (masalah, a map point, the OPD tujuan) and a
photo of the location, in Chromium; the thumbnail shows on its own list, its board and the public's."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.async_api import expect

from harness.browser import join, online
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site, screenshot
from tests.web.test_pages import PROPOSAL, SELECTS

pytestmark = pytest.mark.browser


def jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(out, "JPEG")
    return out.getvalue()


async def test_a_proposal_with_its_problem_agency_point_and_photo(site: Site, pages: Pages) -> None:
    hall = await pages.open(site.villages(interactive=False)[0].url)
    public = await pages.open(site.link("public"))
    await join(hall)
    await online(public)
    await hall.context.grant_permissions(["geolocation"])
    await hall.context.set_geolocation({"latitude": -8.2883, "longitude": 114.3167, "accuracy": 12})
    for name, value in PROPOSAL.items():
        field = hall.locator(f'#proposal-form [name="{name}"]')
        await (field.select_option(value) if name in SELECTS else field.fill(value))
    await hall.select_option("#p-opd", "pu-ckpp")
    await hall.get_by_role("button", name="Gunakan lokasi saya").click()
    await expect(hall.locator("#p-lat")).to_have_value("-8.288300")
    await hall.set_input_files("#p-photos", files=[{"name": "jalan.jpg", "mimeType": "image/jpeg",
                                                   "buffer": jpeg((90, 110, 70))}])
    await hall.get_by_role("button", name="Kirim usulan").click()

    mine = hall.locator('#my-proposals [data-proposal="U-001"]')
    await expect(mine.locator(".photo-strip img")).to_have_count(1)
    await expect(mine).to_contain_text("Permasalahan: Anak sekolah sulit lewat saat hujan")
    await expect(mine).to_contain_text("OPD tujuan: Dinas Pekerjaan Umum Cipta Karya, Perumahan dan Permukiman")
    card = public.locator('#board [data-proposal="U-001"]')
    thumb = card.locator(".photo-strip img")
    await expect(thumb).to_have_count(1)
    await expect(card.locator(".proposal-titik")).to_contain_text("-8.28830, 114.31670")
    assert await thumb.evaluate("img => img.complete && img.naturalWidth") == 320  # the hub's thumbnail, loaded

    await hall.set_input_files('#my-proposals [data-proposal="U-001"] input[type="file"]',
                               files=[{"name": "x.gif", "mimeType": "image/gif", "buffer": b"GIF89a"}])
    await expect(hall.locator("#notice-text")).to_contain_text("bukan foto JPEG atau PNG")
    await hall.set_input_files('#my-proposals [data-proposal="U-001"] input[type="file"]',
                               files=[{"name": "saluran.png", "mimeType": "image/png", "buffer": jpeg((0, 0, 200))}])
    await expect(mine.locator(".photo-strip img")).to_have_count(2)  # the hub reads the bytes, not the name
    await screenshot(hall, "village-proposal-photos")
    await mine.get_by_role("button", name="Hapus foto 1").click()
    await hall.get_by_role("button", name="Ya, hapus foto").click()  # asked first: the file goes for good
    await expect(thumb).to_have_count(1)

    [row] = (await site.app[SESSIONS].get(site.session)).read_models(  # type: ignore[index]
        ["board"], "staff")["board"]["proposals"]
    assert (row["opd"], row["lokasi"]["titik"]) == ("pu-ckpp", {"lat": -8.2883, "lng": 114.3167})
    assert pages.errors == []
