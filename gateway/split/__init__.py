"""The gateway's processes: serve's supervised worker child and its link, or each side alone."""
