"""Security event intake: parsers from wire formats to one internal event shape (pure Python, no Django)."""
