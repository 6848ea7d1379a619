"""What people read: manifests, maps, texts in French and English."""
