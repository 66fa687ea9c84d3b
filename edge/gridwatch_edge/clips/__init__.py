"""Evidence clips: the seconds before and after every event, cut from the camera's own packets.

The path, stage by stage (one module each):

- ``packets``: a demuxed packet as kept (``BufferedPacket``) and the stream's codec parameters
  (``StreamTemplate``), captured once per connection, without decoding anything;
- ``ring``: the per-camera ring of the last seconds of packets, whole GOPs only;
- ``recorder``: one camera's tap on its demuxer (or on its ``record_url`` stream) and its
  recordings: an event opens a clip from the last keyframe at or before ``pre_s``, updates
  extend it, and ``post_s`` after the last one it is cut (``CutClip``);
- ``remux``: a cut clip becomes a faststart MP4 without re-encoding;
- ``worker``: the thread that remuxes and files cut clips, off the cameras' threads;
- ``spool``: the edge's durable clip store with its disk budget (SQLite + files);
- ``sender``: chunked, resumable upload over MQTT, released only on central's ``ClipAck``.

Nothing is imported here, so that the configuration can import ``clips.config`` cheaply.
"""
