"""Address search (geocoding): the offline BAN address index, the BAN HTTP API client, resolving an address."""
