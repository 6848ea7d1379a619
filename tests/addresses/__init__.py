"""Address search (geocoding) tests."""
