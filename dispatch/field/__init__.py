"""The crews in the field: route sheets, their links, the updates they send from stops."""
