"""Access: staff sign-in, its guards, audit, retention."""
