"""Plain-Python safeguarding rules: no Flask and no SQLAlchemy in this package."""
