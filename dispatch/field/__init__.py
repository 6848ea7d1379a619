"""The field: crews' stop events and the signed links of crews and relay points."""
