"""metasim load: Locust load profiles, a process stack to load, exactly-once accounting."""
