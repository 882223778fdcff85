lazycheck verify g3v3-enable-while-paused --no-timings
