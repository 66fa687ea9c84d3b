"""Central: turns edge alerts into stored, grid-located governance cases.

Importing this package does nothing: engines, MQTT clients and metric registries are built by
``CentralRuntime`` from a ``CentralConfig`` at the composition root.
"""
