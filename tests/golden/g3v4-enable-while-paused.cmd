lazycheck verify g3v4-enable-while-paused --no-timings
