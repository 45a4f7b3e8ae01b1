"""Guards on what gets written: sensitive words, rate limits, trust levels, the held-posts queue."""
