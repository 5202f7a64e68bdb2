"""Every command × every role over the real Socket.IO channel follows the permission table."""

from __future__ import annotations

from moderation.permissions import PERMISSIONS
from rooms.actors import Actor, Kind
from rooms.commands import COMMAND_NAMES
from tests.server.conftest import Hub
from tests.server.test_assembly_permissions import payload

# session.close would end the session for the commands after it; it is checked last
ORDER = sorted(COMMAND_NAMES - {"session.close"}) + ["session.close"]


async def test_every_command_from_every_role(hub: Hub) -> None:
    viewonly = next(code for code in hub.villages if code not in hub.interactive)
    roles = {
        "chair": (await hub.connect("chair"), Actor(Kind.CHAIR, "chair")),
        "moderator": (await hub.connect("moderator"), Actor(Kind.MODERATOR, "mod:1")),
        "interactive": (await hub.connect(hub.interactive[0]), Actor(Kind.VILLAGE, hub.interactive[0])),
        "viewonly": (await hub.connect(viewonly), Actor(Kind.VILLAGE, viewonly)),
        "public": (await hub.connect(None, cookie=await hub.browser_token()), Actor(Kind.PUBLIC, "public:x")),
    }
    await roles["chair"][0].ok("session.start")
    checked = 0
    for command in ORDER:
        for role, (client, actor) in roles.items():
            if command == "session.close" and role in PERMISSIONS[command]:
                continue  # closing is allowed for this role: tried once, at the very end
            reply = await client.cmd(command, payload(command, actor))
            refused = reply.get("error") == "forbidden"
            assert refused == (role not in PERMISSIONS[command]), (command, role, reply)
            checked += 1
    assert (await roles["moderator"][0].cmd("session.close"))["ok"]
    assert checked >= len(COMMAND_NAMES) * len(roles) - 2
