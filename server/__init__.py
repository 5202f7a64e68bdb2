"""The hub's adapters, where all its I/O is wired: the aiohttp app, configuration and CLI, the
Socket.IO channel and media signalling, the HTTP API, signed credentials, and the log's stores
(``server.stores``). The only place that chooses SQLite or Redis."""
