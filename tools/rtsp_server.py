#!/usr/bin/python3
"""A loopback RTSP "camera" that streams an H.264 MP4 in an endless loop, without re-encoding.

Run it with Debian's own Python (python3-gi and gir1.2-gst-rtsp-server-1.0 live there, not in
the project venv)::

    /usr/bin/python3 tools/rtsp_server.py --port 8554 --clip vtest_h264.mp4 --mount /cam

Prints ``READY rtsp://127.0.0.1:PORT/MOUNT`` on stdout once serving; tests and benchmarks wait
for that line. Stops on SIGINT/SIGTERM.
"""

import argparse
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402 - needs require_version first

LOOPBACK = "127.0.0.1"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--clip", type=Path, required=True, help="an H.264 MP4 file")
    parser.add_argument("--mount", default="/cam", help="path of the stream, e.g. /cam")
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        parser.error(f"clip {args.clip} does not exist")
    if not args.mount.startswith("/"):
        args.mount = "/" + args.mount
    return args


def _loop_forever(_bus, message, pipeline):
    # Seeking back to 0 on end-of-stream keeps the shared media (and every client) running.
    if message.type == Gst.MessageType.EOS:
        pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
    return True


def _on_media_configure(_factory, media):
    pipeline = media.get_element()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", _loop_forever, pipeline)


def build_server(args):
    server = GstRtspServer.RTSPServer()
    server.set_address(LOOPBACK)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = str(args.clip.resolve()).replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux ! h264parse config-interval=-1'
        " ! rtph264pay name=pay0 pt=96 )"
    )
    factory.set_shared(True)
    factory.set_eos_shutdown(False)
    factory.connect("media-configure", _on_media_configure)
    server.get_mount_points().add_factory(args.mount, factory)
    return server


def main(argv=None):
    args = parse_args(argv)
    Gst.init(None)
    server = build_server(args)
    if server.attach(None) == 0:
        print(f"cannot listen on {LOOPBACK}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY rtsp://{LOOPBACK}:{args.port}{args.mount}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
