"""``lazycheck scan``: read kernel C, find lazy MMU sections and check them on every path."""
