# The test content and servers of tests/support (ot-serve), for the Python
# tests: one download of each kind made at test time, served on 127.0.0.1;
# and wait_for(), their wait on a download manager.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import subprocess
import tempfile


class Content:
    """Runs ot-serve ($OT_SERVE) in a new temporary directory, making the
    downloads of `kinds` (all by default).

    urls maps each kind ("progressive", "dash", "hls", "mss", "dash-cenc",
    and "live-hls" when asked for) to the URL of its media file or
    manifest; license_url is the ClearKey license server of "dash-cenc",
    whose MPD names it. close() (or the end of a with block) stops the
    servers and removes the content."""

    KINDS = ("progressive", "dash", "hls", "mss", "dash-cenc")

    def __init__(self, kinds=KINDS):
        self.tmp = tempfile.TemporaryDirectory(prefix="gst-offline-py-")
        self.process = subprocess.Popen([os.environ["OT_SERVE"], self.tmp.name, *kinds], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.urls = {}
        self.license_url = None
        for line in self.process.stdout:
            line = line.strip()
            if line == "ready":
                break
            kind, url = line.split(" ", 1)
            if kind == "license":
                self.license_url = url
            else:
                self.urls[kind] = url
        else:
            status = self.process.wait()
            self.close()
            raise RuntimeError("ot-serve failed to make or serve the content (exit %s)" % status)

    def publish(self, count):
        """"live-hls": publishes its next `count` segments (the origin's
        clock is ours); returns how many are published in all."""
        self.process.stdin.write("publish %d\n" % count)
        self.process.stdin.flush()
        answer = self.process.stdout.readline().split()
        if answer[:1] != ["published"]:
            raise RuntimeError("ot-serve did not publish: %r" % answer)
        return int(answer[1])

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()
        self.process.stdout.close()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_for(manager, done, signals=("download-changed", "download-removed", "idle")):
    """Runs a main loop until done() holds, looking after each of `signals` of the manager."""
    # Imported here: the test has chosen the versions of gi's modules.
    from gi.repository import GLib

    if done():
        return
    loop = GLib.MainLoop()

    def check(*args):
        if done():
            loop.quit()

    handlers = [manager.connect(signal, check) for signal in signals]
    loop.run()
    for handler in handlers:
        manager.disconnect(handler)
