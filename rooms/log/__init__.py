"""The session event log: a port and its two stores (the server picks one)."""
