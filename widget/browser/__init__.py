"""driftcheck's side of its browser extension (docs/BROWSER.md, issue 13): the native messaging
host the browser starts (`host`), the tracker's end of the local channel to it (`channel`), the
messages both speak (`protocol`).

Standard library only, and light: the host imports this package and must stay small.
"""

from __future__ import annotations

# The native messaging host's name, as the extension asks for it (`connectNative`) and as the
# host manifest is named. Kept equal to resources/browser/ids.json by a test.
NATIVE_HOST_NAME = "io.github.driftcheck"
# The extension's fixed ids: Chromium's from the public key in its manifest, Firefox's the
# gecko id. Only these may start the host (the manifest's allowed_origins/allowed_extensions).
CHROMIUM_EXTENSION_ID = "fkmgeffbfccbmfpphdhgopoeccippmbh"
GECKO_ID = "driftcheck@driftcheck.invalid"
# The browsers `driftcheck browser install` knows, as `--browser` names them.
BROWSERS = ("firefox", "chromium", "chrome", "brave", "edge", "vivaldi")
