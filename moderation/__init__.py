"""Floor control, pure: the speaker queue, floor grants with their countdown, mute, spotlight and
promotion, the role × command permission table, and the session composed as one state
(``moderation.assembly``: the record from ``rooms`` and this desk, their read models and media plan)."""
