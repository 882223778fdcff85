lazycheck verify arm64-isb-dropped --no-timings
