lazycheck verify g3v3-disable-unbalanced --no-timings
