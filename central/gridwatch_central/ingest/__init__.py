"""From MQTT message to stored alert and opened case."""
