lazycheck verify s390-pause-drops-range --no-timings
