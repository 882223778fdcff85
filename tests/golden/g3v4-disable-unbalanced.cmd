lazycheck verify g3v4-disable-unbalanced --no-timings
