lazycheck verify arm64-nested --format mail --no-timings
