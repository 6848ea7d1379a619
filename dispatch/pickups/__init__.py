"""Home pickups: collection rules as data, requests, slot offers."""
