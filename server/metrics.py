"""Prometheus metrics of one hub process (a registry per app, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from rooms.commands import COMMAND_NAMES


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter("mh_commands", "Socket.IO commands by name and outcome",
                                ["command", "outcome"], registry=self.registry)
        self.latency = Histogram("mh_command_seconds", "Time from receiving a command to its ack",
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
                                 registry=self.registry)
        self.connections = Gauge("mh_connections", "Open Socket.IO connections", registry=self.registry)
        self.refused = Counter("mh_connections_refused", "Refused Socket.IO connections by reason",
                               ["reason"], registry=self.registry)
        self.http_errors = Counter("mh_http_errors", "HTTP API errors by code", ["code"], registry=self.registry)

    def observe(self, command: str, result: dict[str, object], seconds: float) -> None:
        outcome = "ok" if result.get("ok") else str(result.get("error"))
        # unknown names are folded into one label so garbage cannot grow the series
        name = command if command in COMMAND_NAMES else "?"
        self.commands.labels(name, outcome).inc()
        self.latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
