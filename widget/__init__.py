"""driftcheck: a private, on-device mirror of the time spent with AI companions."""

__version__ = "0.1.0"
