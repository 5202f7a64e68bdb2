"""What tests and benchmarks share: real peers, hubs in and out of process, sample sessions, browsers.

Not part of the hub (the wheel leaves it out); it runs from the source tree, where both live.
"""
