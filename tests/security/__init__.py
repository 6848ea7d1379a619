"""The attack suite (issue 26): every case an outside attacker tried, on loopback only."""
