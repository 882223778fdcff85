lazycheck verify g3v3-pause-unopened --no-timings
