lazycheck verify g3v4-pause-unopened --no-timings
