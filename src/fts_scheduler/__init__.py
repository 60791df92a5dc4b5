"""fts-scheduler: follow-the-sun workforce scheduling."""
