lazycheck verify s390-pause-nested-batching --no-timings
