import pytest

from rooms.errors import Invalid
from rooms.roster import Village, parse_roster_csv, pick_interactive
from server.provision import banyuwangi_roster

CSV = banyuwangi_roster()
HEADER = "kecamatan_code,kecamatan_name,village_code,village_name,village_type"


def test_the_real_roster_has_217_villages_in_25_kecamatan() -> None:
    villages = parse_roster_csv(CSV)
    assert len(villages) == 217
    assert len({v.kecamatan_code for v in villages}) == 25
    assert sum(v.type == "kelurahan" for v in villages) == 28
    bubuk = next(v for v in villages if v.code == "35.10.13.2007")
    assert bubuk == Village("35.10.13.2007", "Bubuk", "35.10.13", "Rogojampi", "desa", None)


def test_pick_interactive_gives_one_per_kecamatan_with_the_venue_in_its_own() -> None:
    villages = parse_roster_csv(CSV)
    picked = pick_interactive(villages, "35.10.13.2007")
    by_code = {v.code: v for v in villages}
    assert len(picked) == 25
    assert len({by_code[c].kecamatan_code for c in picked}) == 25
    assert "35.10.13.2007" in picked  # Bubuk, not the namesake Rogojampi village
    assert "35.10.13.2013" not in picked
    assert "35.10.01.2002" in picked  # Pesanggaran's namesake village, though Sarongan is listed first


def test_pick_interactive_falls_back_to_the_first_listed_village() -> None:
    rows = ["35.10.01,Alpha,35.10.01.2001,Satu,desa", "35.10.01,Alpha,35.10.01.2002,Dua,desa",
            "35.10.02,Beta,35.10.02.2001,Tiga,desa"]  # fmt: skip
    text = "\n".join([HEADER, *rows])
    assert pick_interactive(parse_roster_csv(text), "35.10.02.2001") == ["35.10.01.2001", "35.10.02.2001"]


def test_pick_interactive_refuses_a_venue_outside_the_roster() -> None:
    with pytest.raises(Invalid):
        pick_interactive(parse_roster_csv(CSV), "35.10.99.2001")


def test_optional_pagu_column() -> None:
    text = "\n".join([HEADER + ",pagu", "35.10.01,Alpha,35.10.01.2001,Satu,desa,900000000",
                      "35.10.01,Alpha,35.10.01.1002,Dua,kelurahan,"])  # fmt: skip
    one, two = parse_roster_csv(text)
    assert (one.pagu, two.pagu, two.type) == (900_000_000, None, "kelurahan")


@pytest.mark.parametrize(
    ("rows", "line", "words"),
    [
        (["35.10.01,Alpha,35.10.01.2001,Satu,desa", "35.10.01,Alpha,35.10.01.2001,Lagi,desa"], 3, "ganda"),
        (["35.10.01,Alpha,35.10.1.2001,Satu,desa"], 2, "kode desa"),
        (["35.10.01,Alpha,35.10.02.2001,Satu,desa"], 2, "kode desa"),  # village outside its kecamatan
        (["35.10.01,Alpha,35.10.01.2001,Satu,dusun"], 2, "jenis"),
        (["35.10.01,Alpha,35.10.01.2001,,desa"], 2, "nama"),
        (["35.10.01,Alpha,35.10.01.2001,Satu,desa", "35.10.01,Gamma,35.10.01.2002,Dua,desa"], 3, "kecamatan"),
        (["x1,Alpha,35.10.01.2001,Satu,desa"], 2, "kode kecamatan"),
    ],
)
def test_bad_rows_are_refused_with_their_line_number(rows: list[str], line: int, words: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_roster_csv("\n".join([HEADER, *rows]))
    assert f"Baris {line}" in caught.value.message
    assert words in caught.value.message


def test_bad_pagu_is_refused() -> None:
    with pytest.raises(Invalid, match="pagu"):
        parse_roster_csv("\n".join([HEADER + ",pagu", "35.10.01,Alpha,35.10.01.2001,Satu,desa,-5"]))


@pytest.mark.parametrize("text", ["", HEADER + "\n", "a,b\n1,2\n"])
def test_empty_or_headless_files_are_refused(text: str) -> None:
    with pytest.raises(Invalid):
        parse_roster_csv(text)
