"""Forms: Flask-WTF for the simple ones, and readers that keep every typed value for the rest."""
