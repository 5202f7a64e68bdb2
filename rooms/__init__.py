"""The session record of a musrenbang: pure commands → events → state.

Nothing here does I/O or reads a clock: time and the acting participant come in
as arguments, so the same log always folds to the same state.
"""
