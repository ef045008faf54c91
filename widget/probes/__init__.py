"""Probes: what is in front of the person, and are they there.

One small interface, one module per platform, imported lazily by `choose_probe` so that
nothing opens a display or a bus at import time.
"""
