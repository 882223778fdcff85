lazycheck verify arm64-kernel-map-pages-bang --no-timings
