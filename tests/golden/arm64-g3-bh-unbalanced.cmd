lazycheck verify arm64-g3-bh-unbalanced --no-timings
