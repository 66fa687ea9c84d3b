"""Evidence clips at central: uploads reassembled and checked (``service``, fed by
``consumer``), files kept and pruned beside the snapshots (``store``), MP4s checked with FFmpeg
(``probe``), and what the API shows of them (``views``)."""
