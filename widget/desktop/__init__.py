"""The desktop around driftcheck: notifications (D-Bus and Qt), one instance per data folder,
start at login, the display, the local time zone, and the guard that keeps TLS out."""
