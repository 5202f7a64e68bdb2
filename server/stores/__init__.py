"""The event log's adapters: embedded SQLite (the default), Redis (several nodes), and memory (tests,
tools). Each passes the port's contract suite; ``server.app.open_log`` is the one place choosing."""
