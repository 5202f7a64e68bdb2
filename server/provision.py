"""Creating a session from a roster and issuing its credentials (the links people open)."""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rooms.actors import Actor, Kind
from rooms.roster import Village, parse_roster_csv, pick_interactive
from rooms.session import DESA, create_session
from server.credentials import Signer
from server.files import write_private
from service.sessions import Sessions


@dataclass(frozen=True, slots=True)
class Link:
    role: str  # chair | moderator | village | public
    url: str
    village: Village | None = None
    interactive: bool = False


def banyuwangi_roster() -> str:
    """The official list of Banyuwangi's kecamatan and villages as roster CSV (server/data/README.md: its source).

    Package data, so an installed hub has it without the checkout."""
    return (resources.files("server") / "data" / "banyuwangi_wilayah.csv").read_text(encoding="utf-8")


def new_session_id(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "sesi"
    return f"{slug}-{secrets.token_hex(2)}"


def issue_links(signer: Signer, base_url: str, session_id: str, villages: list[Village],
                interactive: set[str], moderators: int = 1) -> list[Link]:
    """Fresh credentials for the chair, the moderators and every village, as page links.

    The credential rides in the URL fragment: browsers never send it to the server in
    the request line, so it stays out of proxy and access logs.
    """
    base = f"{base_url}/s/{session_id}"
    links = [Link("public", base), Link("chair", f"{base}/chair#t={signer.issue(session_id, Kind.CHAIR, 'chair')}")]
    for n in range(1, moderators + 1):
        token = signer.issue(session_id, Kind.MODERATOR, f"mod:{n}")
        links.append(Link("moderator", f"{base}/moderator#t={token}"))
    for v in villages:
        token = signer.issue(session_id, Kind.VILLAGE, v.code, v.code)
        links.append(Link("village", f"{base}/village#t={token}", v, v.code in interactive))
    return links


def write_links_csv(path: Path, links: list[Link]) -> None:
    """Every link in one CSV, private to the hub's user: it holds every village's credential."""
    text = io.StringIO(newline="")
    out = csv.writer(text)
    out.writerow(["role", "village_code", "village_name", "kecamatan_name", "mode", "link"])
    for link in links:
        v = link.village
        mode = "" if v is None else ("interaktif" if link.interactive else "pantau")
        out.writerow([link.role, v.code if v else "", v.name if v else "", v.kecamatan_name if v else "",
                      mode, link.url])
    write_private(path, text.getvalue())


async def found_session(sessions: Sessions, signer: Signer, base_url: str, title: str, roster_csv: str,
                        venue: str, session_id: str | None = None,
                        interactive: list[str] | None = None, level: str = DESA) -> tuple[str, list[Link]]:
    """Create a session (its first log events) and issue its links."""
    villages = parse_roster_csv(roster_csv)
    chosen = interactive if interactive is not None else pick_interactive(villages, venue)
    sid = session_id or new_session_id(title)
    events = create_session(title, villages, venue, chosen, Actor(Kind.ADMIN, "admin"), time.time(), level)
    await sessions.create(sid, events)
    return sid, issue_links(signer, base_url, sid, villages, set(chosen))
