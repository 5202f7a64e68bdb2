"""The session event log as the domain sees it: the port (the interface every store implements) and the
hash chain (pure); the stores themselves are in ``server.stores``."""
