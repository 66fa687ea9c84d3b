"""The edge box: camera feeds in, contract alerts out over MQTT.

Nothing runs at import; ``gridwatch_edge.runtime.run_edge`` is the composition root.
"""
