"""How the suite starts Debian's chromium: the binary and the flags a closed network needs."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# *.test names resolve to loopback inside the browser only: "shop.test" is another site than
# the bot's 127.0.0.1, and "chat.test" is plain HTTP away from localhost (no secure context).
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP *.test 127.0.0.1",
]
