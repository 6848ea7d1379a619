"""Server-rendered HTML pages for crews, relay points, donors and the coordinator (French by default)."""
