"""The application layer: a session's commands run through decide → durable append → fold → notify,
and whether a credential still holds against its session. The one API the Socket.IO channel, the
HTTP API and the pages use; it does I/O only through the log port it is given."""
