lazycheck verify g3-disable-unbalanced --no-timings
